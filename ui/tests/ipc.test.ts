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

describe('agent-mode commands (docs/help-desk.md, "The app in agent mode")', () => {
  it('send the documented names and camelCase arguments', async () => {
    const ipc = await import('../src/lib/ipc');
    const calls: [string, Record<string, unknown>][] = [];
    mockIPC((cmd, args) => {
      const a = { ...((args ?? {}) as Record<string, unknown>) };
      // A Channel travels as an object; only its presence matters here.
      if (a.events) a.events = 'channel';
      calls.push([cmd, a]);
      return null;
    });
    const noEvents = () => {};
    await ipc.agentBeginSignIn('hopper', 'pw');
    await ipc.agentSignInWithPasscode('755224');
    await ipc.agentSignInWithKey('demo', noEvents);
    await ipc.agentSignOut();
    await ipc.agentFindPerson('ada');
    await ipc.agentSendCallerCode('text');
    await ipc.agentCheckCallerCode('123456');
    await ipc.agentVerifyCallerPin('1985-12-10', '246810');
    await ipc.agentVerifyCallerInPerson('passport');
    await ipc.agentIssueBypassCode('r', 30);
    await ipc.agentSendActivation('p1', 'email', 'r');
    await ipc.agentAddPhone('+1 555 010 0142', null, 'landline', 'r');
    await ipc.agentVerifyPhone('p1', '123456');
    await ipc.agentSendKeyLink('r', null);
    await ipc.agentRegisterKeyHere('usb', 'r', noEvents);
    await ipc.agentUnlock('r');
    await ipc.agentClearRecoveryPin('r');
    await ipc.agentRemoveDevice('d1', 'lost', 'r');
    await ipc.agentEndCall();
    expect(calls).toEqual([
      ['agent_begin_sign_in', { username: 'hopper', password: 'pw' }],
      ['agent_sign_in_with_passcode', { passcode: '755224' }],
      ['agent_sign_in_with_key', { source: 'demo', events: 'channel' }],
      ['agent_sign_out', {}],
      ['agent_find_person', { username: 'ada' }],
      ['agent_send_caller_code', { channel: 'text' }],
      ['agent_check_caller_code', { code: '123456' }],
      ['agent_verify_caller_pin', { dateOfBirth: '1985-12-10', pin: '246810' }],
      ['agent_verify_caller_in_person', { idDocument: 'passport' }],
      ['agent_issue_bypass_code', { reason: 'r', validMinutes: 30 }],
      ['agent_send_activation', { phoneId: 'p1', channel: 'email', reason: 'r' }],
      ['agent_add_phone', { number: '+1 555 010 0142', extension: null, phoneType: 'landline', reason: 'r' }],
      ['agent_verify_phone', { phoneId: 'p1', code: '123456' }],
      ['agent_send_key_link', { reason: 'r', validHours: null }],
      ['agent_register_key_here', { source: 'usb', reason: 'r', events: 'channel' }],
      ['agent_unlock', { reason: 'r' }],
      ['agent_clear_recovery_pin', { reason: 'r' }],
      ['agent_remove_device', { deviceId: 'd1', removalReason: 'lost', reason: 'r' }],
      ['agent_end_call', {}],
    ]);
  });
});
