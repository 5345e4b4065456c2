/** Which actions the record offers and why not (helpDeskRules.ts), and the agent-mode checks of validation.ts. */
import { describe, expect, it } from 'vitest';
import { actionStates, callerState, dailyLockNeedsAdmin, verifyCallerBar, type HdAction } from '../src/lib/helpDeskRules';
import { checkReason, checkValidHours, checkValidMinutes } from '../src/lib/validation';
import { HOPPER, MARGARET, person, verified } from './helpDeskFixtures';

const NOW = Date.now();
const byAction = (states: ReturnType<typeof actionStates>) =>
  Object.fromEntries(states.map((s) => [s.action, s])) as Record<HdAction, (typeof states)[number]>;

describe('help-desk rules', () => {
  it('disables every action until the caller is verified, then enables them', () => {
    const before = actionStates(HOPPER, person(), null, NOW);
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((s) => !s.enabled && s.why === 'hd.why.verifyFirst')).toBe(true);
    const pending = actionStates(HOPPER, person(), { ...verified(), status: 'pending' }, NOW);
    expect(pending.every((s) => s.why === 'hd.why.verifyFirst')).toBe(true);
    const after = actionStates(HOPPER, person(), verified('sent_code'), NOW);
    expect(after.every((s) => s.enabled && s.why === null)).toBe(true);
  });

  it('a date-of-birth + PIN check allows only the actions that do not need a strong one', () => {
    const s = byAction(actionStates(MARGARET, person(), verified('date_of_birth_and_pin'), NOW));
    for (const strong of ['issueCode', 'addPhone', 'registerKey'] as const) {
      expect(s[strong]).toEqual({ action: strong, enabled: false, why: 'hd.why.tooWeak' });
    }
    for (const weak of ['sendActivation', 'sendKeyLink', 'unlock', 'clearPin', 'removeDevice'] as const) {
      expect(s[weak].enabled).toBe(true);
    }
  });

  it('an expired check counts as none, with its own reason', () => {
    const old = { ...verified(), expiresAt: new Date(NOW - 1000).toISOString() };
    expect(callerState(old, NOW)).toBe('expired');
    expect(actionStates(HOPPER, person(), old, NOW).every((s) => s.why === 'hd.why.callerExpired')).toBe(true);
  });

  it('hides lifting the daily lock from help_desk, and shows it to admins', () => {
    const daily = person({ lock: { state: 'until_help_desk', until: null, failuresLastDay: 10 } });
    expect(actionStates(HOPPER, daily, verified(), NOW).map((s) => s.action)).not.toContain('unlock');
    expect(dailyLockNeedsAdmin(HOPPER, daily)).toBe(true);
    expect(byAction(actionStates(MARGARET, daily, verified(), NOW)).unlock.enabled).toBe(true);
    expect(dailyLockNeedsAdmin(MARGARET, daily)).toBe(false);
    // A temporary lock is help_desk's to lift.
    expect(byAction(actionStates(HOPPER, person(), verified(), NOW)).unlock.enabled).toBe(true);
  });

  it('nothing on the own account; on an agent account only with act_on_agents', () => {
    const own = person({ ownAccount: true, isAgent: true });
    expect(actionStates(MARGARET, own, verified(), NOW).every((s) => s.why === 'hd.why.ownAccount')).toBe(true);
    expect(verifyCallerBar(MARGARET, own)).toBe('hd.why.ownAccount');
    const agent = person({ isAgent: true });
    expect(actionStates(HOPPER, agent, verified(), NOW).every((s) => s.why === 'hd.why.agentAccount')).toBe(true);
    expect(verifyCallerBar(HOPPER, agent)).toBe('hd.why.agentAccount');
    expect(actionStates(MARGARET, agent, verified(), NOW).every((s) => s.enabled)).toBe(true);
  });

  it('says what the account lacks', () => {
    const bare = person({
      devices: [],
      notificationAddresses: [],
      recoveryPinSet: false,
      lock: { state: 'open', until: null, failuresLastDay: 0 },
    });
    const s = byAction(actionStates(MARGARET, bare, verified(), NOW));
    expect(s.sendActivation.why).toBe('hd.why.noMobile');
    expect(s.sendKeyLink.why).toBe('hd.why.noAddress');
    expect(s.unlock.why).toBe('hd.why.notLocked');
    expect(s.clearPin.why).toBe('hd.why.noPin');
    expect(s.removeDevice.why).toBe('hd.why.noDevices');
    expect(s.issueCode.enabled).toBe(true);
  });

  it('shows only what the role has a permission for', () => {
    const lookOnly = { ...HOPPER, permissions: ['look_up' as const] };
    expect(actionStates(lookOnly, person(), verified(), NOW)).toEqual([]);
    expect(verifyCallerBar(lookOnly, person())).toBe('hd.why.noPermission');
  });
});

describe('agent-mode validation', () => {
  it('a reason is 1 to 200 characters on one line, trimmed', () => {
    expect(checkReason('  INC-4711 lost phone ')).toEqual({ ok: true, value: 'INC-4711 lost phone' });
    expect(checkReason('   ')).toEqual({ ok: false, error: 'validation.hdReason.required' });
    expect(checkReason('x'.repeat(200))).toEqual({ ok: true, value: 'x'.repeat(200) });
    expect(checkReason('x'.repeat(201))).toEqual({ ok: false, error: 'validation.hdReason.length' });
    expect(checkReason('ü'.repeat(200)).ok).toBe(true);
    expect(checkReason('line one\nline two')).toEqual({ ok: false, error: 'validation.hdReason.oneLine' });
    expect(checkReason('tab\tinside')).toEqual({ ok: false, error: 'validation.hdReason.oneLine' });
    expect(checkReason('para\u2029graph')).toEqual({ ok: false, error: 'validation.hdReason.oneLine' });
  });

  it('a validity is empty (the default) or a whole number in range', () => {
    expect(checkValidMinutes('')).toEqual({ ok: true, value: null });
    expect(checkValidMinutes(' 30 ')).toEqual({ ok: true, value: 30 });
    expect(checkValidMinutes('480')).toEqual({ ok: true, value: 480 });
    for (const bad of ['0', '481', '1.5', '-3', 'ten']) {
      expect(checkValidMinutes(bad)).toEqual({ ok: false, error: 'validation.hdValidMinutes.range' });
    }
    expect(checkValidHours('24')).toEqual({ ok: true, value: 24 });
    expect(checkValidHours('25')).toEqual({ ok: false, error: 'validation.hdValidHours.range' });
    expect(checkValidHours('')).toEqual({ ok: true, value: null });
  });
});
