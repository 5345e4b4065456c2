import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addLandline,
  AppError,
  resyncToken,
  toAppError,
  verifyLandline,
  verifyPin,
} from '../src/lib/ipc';

afterEach(() => clearMocks());

describe('toAppError', () => {
  it('keeps the contract fields', () => {
    const e = toAppError({ code: 'locked', field: null, retryAt: '2026-01-01T00:00:00Z', attemptsLeft: null });
    expect(e).toBeInstanceOf(AppError);
    expect(e).toMatchObject({ code: 'locked', retryAt: '2026-01-01T00:00:00Z', field: null, attemptsLeft: null });
  });
  it('accepts snake_case and JSON strings', () => {
    expect(toAppError({ code: 'code_incorrect', attempts_left: 2 }).attemptsLeft).toBe(2);
    expect(toAppError('{"code":"locked"}').code).toBe('locked');
    expect(toAppError('service_unreachable').code).toBe('service_unreachable');
  });
  it('turns anything else into internal, showing nothing of it', () => {
    expect(toAppError(new Error('boom: /home/x')).code).toBe('internal');
    expect(toAppError('Something odd happened').code).toBe('internal');
    expect(toAppError(undefined).code).toBe('internal');
    expect(toAppError({ code: 'DROP TABLE' }).code).toBe('internal');
  });
});

describe('commands', () => {
  it('sends the documented names and camelCase arguments', async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === 'verify_pin') return { displayName: 'Ada', expiresAt: '2026-01-01T00:10:00Z' };
      if (cmd === 'add_landline')
        return { id: 'p1', numberHint: '•••• 0142', expiresAt: 'x', delivery: 'voice_call' };
      return null;
    });
    await expect(verifyPin('1985-12-10', '246810')).resolves.toEqual({
      displayName: 'Ada',
      expiresAt: '2026-01-01T00:10:00Z',
    });
    await addLandline('+1 555 010 0142', null);
    await verifyLandline('p1', null);
    await resyncToken('t1', ['755224', '287082']);
    expect(calls).toEqual([
      ['verify_pin', { dateOfBirth: '1985-12-10', pin: '246810' }],
      ['add_landline', { number: '+1 555 010 0142', extension: null }],
      ['verify_landline', { phoneId: 'p1', code: null }],
      ['resync_token', { deviceId: 't1', codes: ['755224', '287082'] }],
    ]);
  });

  it('rejects with an AppError', async () => {
    mockIPC(() => {
      throw { code: 'verification_failed', field: null, retryAt: null, attemptsLeft: null };
    });
    await expect(verifyPin('1985-12-10', '000000')).rejects.toMatchObject({
      name: 'AppError',
      code: 'verification_failed',
    });
  });
});
