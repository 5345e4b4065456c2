import { describe, expect, it } from 'vitest';
import type { Device } from '../src/lib/ipc';
import { recommend } from '../src/lib/recommend';

const mobile: Device = {
  id: 'm1',
  kind: 'phone',
  name: 'iPhone',
  status: 'active',
  phone: { numberHint: '•••• 0100', phoneType: 'mobile', platform: 'ios', appActivated: true },
  createdAt: null,
};
const landline: Device = {
  ...mobile,
  id: 'l1',
  name: 'Office',
  phone: { numberHint: '•••• 0142', phoneType: 'landline', platform: null, appActivated: false },
};
const token: Device = { id: 't1', kind: 'hardware_token', name: 'DEMO-000123', status: 'active', phone: null, createdAt: null };

describe('recommend', () => {
  it('points a new or broken phone at the phone app', () => {
    expect(recommend('new-phone', [mobile])).toMatchObject({ action: 'phoneApp', deviceId: 'm1' });
    expect(recommend('app-not-working', [landline, mobile])).toMatchObject({ action: 'phoneApp', deviceId: 'm1' });
  });
  it('points a bad token at resync', () => {
    expect(recommend('token-bad-codes', [mobile, token])).toMatchObject({ action: 'resyncToken', deviceId: 't1' });
  });
  it('suggests a landline after a help-desk code when there is no phone', () => {
    expect(recommend('helpdesk-code', [])).toMatchObject({ action: 'addLandline' });
    expect(recommend('helpdesk-code', [landline])).toMatchObject({ action: 'bypassCode' });
  });
  it('falls back to a one-time code', () => {
    expect(recommend('one-time-code', [mobile])).toMatchObject({ action: 'bypassCode' });
    expect(recommend('new-phone', [])).toMatchObject({ action: 'bypassCode' });
    expect(recommend('token-bad-codes', [mobile])).toMatchObject({ action: 'bypassCode' });
    expect(recommend(null, [])).toMatchObject({ action: 'bypassCode' });
  });
});
