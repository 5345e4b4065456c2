/**
 * The next step Devices suggests first, from what the person chose on Start and the devices
 * they have. Pure, so each case is tested.
 */
import type { MessageKey } from './i18n.svelte';
import type { Device } from './ipc';
import type { Problem } from './state.svelte';

export type NextAction = 'phoneApp' | 'bypassCode' | 'resyncToken' | 'addLandline';

export interface Recommendation {
  action: NextAction;
  deviceId: string | null;
  title: MessageKey;
  text: MessageKey;
}

const isMobile = (d: Device) => d.kind === 'phone' && d.phone?.phoneType === 'mobile';
const isLandline = (d: Device) => d.kind === 'phone' && d.phone?.phoneType === 'landline';

export function recommend(problem: Problem | null, devices: readonly Device[]): Recommendation {
  const mobile = devices.find(isMobile) ?? null;
  const token = devices.find((d) => d.kind === 'hardware_token') ?? null;
  const oneTimeCode: Recommendation = {
    action: 'bypassCode',
    deviceId: null,
    title: 'recommend.bypassCode.title',
    text: 'recommend.bypassCode.text',
  };

  switch (problem) {
    case 'new-phone':
      if (mobile) {
        return { action: 'phoneApp', deviceId: mobile.id, title: 'recommend.newPhone.title', text: 'recommend.newPhone.text' };
      }
      return oneTimeCode;
    case 'app-not-working':
      if (mobile) {
        return { action: 'phoneApp', deviceId: mobile.id, title: 'recommend.reactivate.title', text: 'recommend.reactivate.text' };
      }
      return oneTimeCode;
    case 'token-bad-codes':
      if (token) {
        return { action: 'resyncToken', deviceId: token.id, title: 'recommend.resync.title', text: 'recommend.resync.text' };
      }
      return oneTimeCode;
    case 'helpdesk-code':
      if (mobile) {
        return { action: 'phoneApp', deviceId: mobile.id, title: 'recommend.newPhone.title', text: 'recommend.newPhone.text' };
      }
      if (!devices.some(isLandline)) {
        return { action: 'addLandline', deviceId: null, title: 'recommend.landline.title', text: 'recommend.landline.text' };
      }
      return oneTimeCode;
    default:
      return oneTimeCode;
  }
}
