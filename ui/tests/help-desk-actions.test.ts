/**
 * The help-desk actions through the real App with the IPC mocked: each screen sends its command
 * with the checked reason (and nothing while an input is wrong), the result line comes back on
 * the record, and the new service codes read as what happened + what to do next.
 */
import { clearMocks } from '@tauri-apps/api/mocks';
import { screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import en from '../src/locales/en.json';
import es from '../src/locales/es.json';
import { setLocale } from '../src/lib/i18n.svelte';
import type { AgentView, KeyEvent } from '../src/lib/ipc';
import { app, reset, type Screen } from '../src/lib/state.svelte';
import { err } from './fixtures';
import { HD_INFO, hdBackend, HOPPER, MARGARET, MOBILE, openAs, person, text, verified, type Handler } from './helpDeskFixtures';

const input = (id: string) => screen.getByTestId(id) as HTMLInputElement;
const REASON = 'INC-4711 lost phone';

beforeEach(() => {
  app.info = null;
  reset();
  setLocale('en');
});
afterEach(() => clearMocks());

type User = ReturnType<typeof userEvent.setup>;

/** From the record: open the action, fill its own inputs, type the reason, submit. */
async function act(user: User, button: string, fill: (user: User) => Promise<void>, submit: string) {
  await user.click(await screen.findByTestId(button));
  await screen.findByTestId('hd-reason');
  await fill(user);
  await user.type(input('hd-reason'), REASON);
  await user.click(screen.getByTestId(submit));
}

async function backOnRecord() {
  await waitFor(() => expect(app.screen).toBe('personRecord'));
  return text(await screen.findByTestId('notice'));
}

function start(agent: AgentView = MARGARET, overrides: Record<string, Handler> = {}, demo = false) {
  const b = hdBackend({ ...HD_INFO, demo }, overrides);
  openAs(agent, 'personRecord', { caller: verified('sent_code') });
  return b;
}

describe('each action sends its command with the reason', () => {
  it('issues a one-time code: shown once, grouped 3-3-3, with its countdown; then the result line', async () => {
    const b = start();
    const user = userEvent.setup();
    await act(user, 'hd-action-issue-code', (u) => u.type(input('hd-valid-minutes'), '30'), 'hd-issue-submit');
    const code = await screen.findByTestId('hd-bypass-code');
    expect(code.textContent).toBe('123 456 789');
    expect(code.getAttribute('aria-label')).toBe('1 2 3, 4 5 6, 7 8 9');
    expect(screen.getByTestId('hd-bypass-countdown').textContent).toMatch(/Expires in \d+:\d\d/);
    expect(b.argsOf('agent_issue_bypass_code')).toEqual({ reason: REASON, validMinutes: 30 });
    await user.click(screen.getByTestId('hd-back-to-record'));
    expect(await backOnRecord()).toMatch(/^Done: a one-time code was issued, valid until .+\. The person was told by e-mail\.$/);
    // The code is gone with its screen.
    expect(JSON.stringify(app)).not.toContain('123456789');
    expect(screen.queryByTestId('hd-bypass-code')).toBeNull();
  });

  it('without a validity the service default is asked for (null)', async () => {
    const b = start();
    const user = userEvent.setup();
    await act(user, 'hd-action-issue-code', async () => {}, 'hd-issue-submit');
    await screen.findByTestId('hd-bypass-code');
    expect(b.argsOf('agent_issue_bypass_code')).toEqual({ reason: REASON, validMinutes: null });
  });

  it('sends the phone-app link to the one mobile phone, by the chosen channel', async () => {
    const b = start();
    const user = userEvent.setup();
    await act(user, 'hd-action-send-activation', (u) => u.click(screen.getByTestId('hd-channel-email')), 'hd-send-activation-submit');
    expect(await backOnRecord()).toMatch(/^Done: the setup link went to •••• 0100, valid until .+\. The person was told by e-mail\.$/);
    expect(b.argsOf('agent_send_activation')).toEqual({ phoneId: 'ph1', channel: 'email', reason: REASON });
  });

  it('with several phones the agent picks one; phone and channel are required', async () => {
    const second = { ...MOBILE, id: 'ph9', name: 'Pixel', phone: { ...MOBILE.phone!, numberHint: '•••• 0999' } };
    const b = hdBackend(HD_INFO);
    openAs(MARGARET, 'personRecord', { person: person({ devices: [MOBILE, second] }), caller: verified() });
    const user = userEvent.setup();
    await act(user, 'hd-action-send-activation', async () => {}, 'hd-send-activation-submit');
    expect(screen.getByTestId('hd-phone-error').textContent).toBe(en['validation.hdPhone.required']);
    expect(screen.getByTestId('hd-channel-error').textContent).toBe(en['validation.hdChannel.required']);
    expect(b.called('agent_send_activation')).toBe(false);
    await user.click(screen.getByTestId('hd-phone-ph9'));
    await user.click(screen.getByTestId('hd-channel-text'));
    await user.click(screen.getByTestId('hd-send-activation-submit'));
    await backOnRecord();
    expect(b.argsOf('agent_send_activation')).toEqual({ phoneId: 'ph9', channel: 'text', reason: REASON });
  });

  it('adds a landline: the call speaks a code, the person reads it, the agent confirms', async () => {
    const b = start();
    const user = userEvent.setup();
    await act(
      user,
      'hd-action-add-phone',
      async (u) => {
        await u.type(input('hd-phone-number'), '+1 555 010 0142');
        await u.click(screen.getByTestId('hd-phone-type-landline'));
        await u.type(await screen.findByTestId('hd-phone-extension'), '12');
      },
      'hd-add-phone-submit',
    );
    expect((await screen.findByTestId('hd-phone-calling')).textContent).toBe('We are calling •••• 0142.');
    expect(b.argsOf('agent_add_phone')).toEqual({ number: '+1 555 010 0142', extension: '12', phoneType: 'landline', reason: REASON });
    expect(screen.getByTestId('hd-phone-countdown')).toBeTruthy();
    const lookUps = b.calls.filter((c) => c.cmd === 'agent_find_person').length;
    await user.type(input('hd-phone-code'), '314 159{Enter}');
    expect(await backOnRecord()).toBe('Done: the phone •••• 0142 was added. The person was told by e-mail.');
    expect(b.argsOf('agent_verify_phone')).toEqual({ phoneId: 'ph2', code: '314159' });
    // The record is read again to show the new phone; the caller check stays.
    expect(b.calls.filter((c) => c.cmd === 'agent_find_person').length).toBe(lookUps + 1);
    expect(b.calls.filter((c) => c.cmd === 'agent_find_person').pop()?.args).toEqual({ username: 'ada' });
    expect(app.caller?.status).toBe('verified');
  });

  it('adds a mobile that is answered (no code); a mobile sends no extension', async () => {
    const b = start(MARGARET, {
      agent_add_phone: () => ({ id: 'ph3', numberHint: '•••• 0177', expiresAt: new Date(Date.now() + 600_000).toISOString(), delivery: 'answer_call' }),
    });
    const user = userEvent.setup();
    await act(
      user,
      'hd-action-add-phone',
      async (u) => {
        await u.type(input('hd-phone-number'), '+1 555 010 0177');
        await u.click(screen.getByTestId('hd-phone-type-mobile'));
      },
      'hd-add-phone-submit',
    );
    await user.click(await screen.findByTestId('hd-phone-answered'));
    await backOnRecord();
    expect(b.argsOf('agent_add_phone')).toEqual({ number: '+1 555 010 0177', extension: null, phoneType: 'mobile', reason: REASON });
    expect(b.argsOf('agent_verify_phone')).toEqual({ phoneId: 'ph3', code: null });
  });

  it('a call that ran out brings the form back with the number, type and reason kept', async () => {
    const b = start(MARGARET, { agent_verify_phone: () => { throw err('verification_expired'); } });
    const user = userEvent.setup();
    await act(
      user,
      'hd-action-add-phone',
      async (u) => {
        await u.type(input('hd-phone-number'), '+1 555 010 0142');
        await u.click(screen.getByTestId('hd-phone-type-landline'));
      },
      'hd-add-phone-submit',
    );
    await user.type(await screen.findByTestId('hd-phone-code'), '314159{Enter}');
    const error = await screen.findByTestId('error');
    expect(text(error)).toBe(`${en['error.verification_expired.agent.what']} ${en['error.verification_expired.agent.next']}`);
    expect(input('hd-phone-number').value).toBe('+1 555 010 0142');
    expect((screen.getByTestId('hd-phone-type-landline') as HTMLInputElement).checked).toBe(true);
    expect(input('hd-reason').value).toBe(REASON);
    await user.click(screen.getByTestId('hd-add-phone-submit'));
    await screen.findByTestId('hd-phone-code');
    expect(b.calls.filter((c) => c.cmd === 'agent_add_phone')).toHaveLength(2);
  });

  it('add phone checks number and type before calling', async () => {
    const b = start();
    const user = userEvent.setup();
    await act(user, 'hd-action-add-phone', (u) => u.type(input('hd-phone-number'), 'call me'), 'hd-add-phone-submit');
    expect(screen.getByTestId('hd-phone-number-error').textContent).toBe(en['validation.phone.characters']);
    expect(screen.getByTestId('hd-phone-type-error').textContent).toBe(en['validation.hdPhoneType.required']);
    expect(document.activeElement?.id).toBe('hd-phone-number');
    expect(b.called('agent_add_phone')).toBe(false);
  });

  it('e-mails a security-key link (the link itself never shows)', async () => {
    const b = start();
    const user = userEvent.setup();
    await act(user, 'hd-action-send-key-link', (u) => u.type(input('hd-valid-hours'), '4'), 'hd-key-link-submit');
    expect(await backOnRecord()).toMatch(/^Done: the security-key link went to a•••@example\.org, valid until .+\. The person was told by e-mail\.$/);
    expect(b.argsOf('agent_send_key_link')).toEqual({ reason: REASON, validHours: 4 });
  });

  it('a link valid for more than 24 hours is refused here', async () => {
    const b = start();
    const user = userEvent.setup();
    await act(user, 'hd-action-send-key-link', (u) => u.type(input('hd-valid-hours'), '48'), 'hd-key-link-submit');
    expect(screen.getByTestId('hd-valid-hours-error').textContent).toBe(en['validation.hdValidHours.range']);
    expect(b.called('agent_send_key_link')).toBe(false);
  });

  it('registers the demo key at the desk through the key ceremony', async () => {
    let resolve: (v: unknown) => void = () => {};
    const b = start(MARGARET, { agent_register_key_here: () => new Promise((r) => (resolve = r)) }, true);
    const user = userEvent.setup();
    await act(user, 'hd-action-register-key', async () => {}, 'hd-register-key-submit');
    await waitFor(() => expect(b.called('agent_register_key_here')).toBe(true));
    const args = b.argsOf('agent_register_key_here');
    expect(args?.source).toBe('demo');
    expect(args?.reason).toBe(REASON);
    b.emit({ event: 'pinSetupNeeded', minLength: 4 } satisfies KeyEvent);
    await user.type(await screen.findByTestId('key-new-pin'), '2468');
    await user.type(screen.getByTestId('key-new-pin-confirm'), '2468{Enter}');
    await waitFor(() => expect(b.argsOf('answer_key_pin')).toEqual({ pin: '2468', newPin: true }));
    b.emit({ event: 'touchNeeded' });
    await user.click(await screen.findByTestId('key-demo-touch'));
    resolve({ id: 'sk1', kind: 'security_key', name: 'Demo security key', status: 'active', phone: null, createdAt: null });
    expect(await backOnRecord()).toBe('Done: the security key "Demo security key" was registered. The person was told by e-mail.');
    expect(screen.getByTestId('person-device-sk1')).toBeTruthy();
  });

  it('cancelling the key ceremony at the desk goes back to the form, nothing registered', async () => {
    let reject: (e: unknown) => void = () => {};
    const b = start(MARGARET, {
      agent_register_key_here: () => new Promise((_, r) => (reject = r)),
      cancel_security_key: () => {
        reject(err('key_cancelled'));
        return null;
      },
    });
    const user = userEvent.setup();
    await act(user, 'hd-action-register-key', async () => {}, 'hd-register-key-submit');
    await waitFor(() => expect(b.argsOf('agent_register_key_here')?.source).toBe('usb'));
    await user.click(await screen.findByTestId('key-cancel'));
    expect(await screen.findByTestId('hd-register-key-submit')).toBeTruthy();
    expect(app.person?.devices.some((d) => d.kind === 'security_key')).toBe(false);
    // The reason need not be typed again.
    expect(input('hd-reason').value).toBe(REASON);
  });

  it('unlocks; the record then shows it open', async () => {
    const b = start();
    const user = userEvent.setup();
    await act(user, 'hd-action-unlock', async () => {}, 'hd-unlock-submit');
    expect(await backOnRecord()).toBe(en['hd.done.unlock.temporary']);
    expect(b.argsOf('agent_unlock')).toEqual({ reason: REASON });
    expect(text(screen.getByTestId('person-lock'))).toContain(en['hd.lock.open']);
  });

  it('clears the recovery PIN; says so when there was none', async () => {
    const b = start(MARGARET, { agent_clear_recovery_pin: () => ({ cleared: false }) });
    const user = userEvent.setup();
    await act(user, 'hd-action-clear-pin', async () => {}, 'hd-clear-pin-submit');
    expect(await backOnRecord()).toBe(en['hd.done.clearPin.none']);
    expect(b.argsOf('agent_clear_recovery_pin')).toEqual({ reason: REASON });
    expect(screen.getByTestId('person-pin').textContent).toBe(en['hd.record.pinNotSet']);
  });

  it('removes a device with why it goes; the record drops it', async () => {
    const b = start();
    const user = userEvent.setup();
    await act(user, 'hd-action-remove-hw1', async () => {}, 'hd-remove-submit');
    expect(screen.getByTestId('hd-remove-reason-error').textContent).toBe(en['validation.reason.required']);
    expect(b.called('agent_remove_device')).toBe(false);
    await user.click(screen.getByTestId('hd-remove-reason-stolen'));
    await user.click(screen.getByTestId('hd-remove-submit'));
    expect(await backOnRecord()).toBe('Done: Token DEMO-000123 was removed. The person was told by e-mail.');
    expect(b.argsOf('agent_remove_device')).toEqual({ deviceId: 'hw1', removalReason: 'stolen', reason: REASON });
    expect(screen.queryByTestId('person-device-hw1')).toBeNull();
  });
});

describe('the reason', () => {
  it('is required, one line, at most 200 characters; nothing is sent otherwise', async () => {
    const b = start();
    const user = userEvent.setup();
    await user.click(await screen.findByTestId('hd-action-unlock'));
    await user.click(await screen.findByTestId('hd-unlock-submit'));
    expect(screen.getByTestId('hd-reason-error').textContent).toBe(en['validation.hdReason.required']);
    expect(document.activeElement?.id).toBe('hd-reason');
    expect(input('hd-reason').getAttribute('aria-describedby')).toContain('hd-reason-error');

    await user.type(input('hd-reason'), 'x'.repeat(201));
    await user.click(screen.getByTestId('hd-unlock-submit'));
    expect(screen.getByTestId('hd-reason-error').textContent).toBe(en['validation.hdReason.length']);

    await user.clear(input('hd-reason'));
    await user.type(input('hd-reason'), 'a\tb');
    await user.click(screen.getByTestId('hd-unlock-submit'));
    expect(screen.getByTestId('hd-reason-error').textContent).toBe(en['validation.hdReason.oneLine']);
    expect(b.called('agent_unlock')).toBe(false);
  });
});

describe('errors of the new codes', () => {
  const CASES: [string, Screen, string][] = [
    ['permission_denied', 'hdUnlock', 'hd-unlock-submit'],
    ['own_account', 'hdClearPin', 'hd-clear-pin-submit'],
    ['caller_not_verified', 'hdSendKeyLink', 'hd-key-link-submit'],
    ['caller_verification_too_weak', 'hdIssueCode', 'hd-issue-submit'],
  ];
  for (const [code, screenName, submit] of CASES) {
    it(`${code}: what happened and what to do next; the reason stays typed`, async () => {
      hdBackend(HD_INFO, {
        agent_unlock: () => { throw err(code); },
        agent_clear_recovery_pin: () => { throw err(code); },
        agent_send_key_link: () => { throw err(code); },
        agent_issue_bypass_code: () => { throw err(code); },
      });
      openAs(HOPPER, screenName, { caller: verified() });
      const user = userEvent.setup();
      await user.type(await screen.findByTestId('hd-reason'), REASON);
      await user.click(screen.getByTestId(submit));
      const error = await screen.findByTestId('error');
      const catalog = en as Record<string, string>;
      expect(text(error)).toBe(`${catalog[`error.${code}.what`]} ${catalog[`error.${code}.next`]}`);
      expect(input('hd-reason').value).toBe(REASON);
      expect(app.screen).toBe(screenName);
      // Only when the service has no verified caller does the record forget it.
      expect(app.caller === null).toBe(code === 'caller_not_verified');
    });
  }

  it('in_person_needs_kiosk on the in-person check', async () => {
    hdBackend({ ...HD_INFO, kiosk: true, kioskIdle: { warnAfterSeconds: 600, resetAfterSeconds: 60 } }, {
      agent_verify_caller_in_person: () => { throw err('in_person_needs_kiosk'); },
    });
    openAs(HOPPER, 'verifyCaller');
    const user = userEvent.setup();
    await user.click(await screen.findByTestId('caller-method-in-person'));
    await user.selectOptions(screen.getByTestId('caller-id-document'), 'staff_card');
    await user.click(screen.getByTestId('caller-in-person-seen'));
    await user.click(screen.getByTestId('caller-in-person-submit'));
    expect(text(await screen.findByTestId('error'))).toBe(`${en['error.in_person_needs_kiosk.what']} ${en['error.in_person_needs_kiosk.next']}`);
    expect(app.caller).toBeNull();
  });

  it('no_person (Rust has no open record) goes back to FindPerson with the reason', async () => {
    hdBackend(HD_INFO, { agent_unlock: () => { throw err('no_person'); } });
    openAs(HOPPER, 'hdUnlock', { caller: verified() });
    const user = userEvent.setup();
    await user.type(await screen.findByTestId('hd-reason'), REASON);
    await user.click(screen.getByTestId('hd-unlock-submit'));
    await screen.findByTestId('find-username');
    expect(text(screen.getByTestId('error'))).toBe(`${en['error.no_person.what']} ${en['error.no_person.next']}`);
    expect(app.person).toBeNull();
    expect(app.caller).toBeNull();
    expect(app.agent?.username).toBe('hopper');
  });

  it('key_not_registered on the key sign-in says which key and the other way', async () => {
    hdBackend(HD_INFO, { agent_sign_in_with_key: () => { throw err('key_not_registered'); } });
    openAs(HOPPER, 'agentSecondFactor', { person: null });
    app.agent = null;
    const user = userEvent.setup();
    await user.click(await screen.findByTestId('agent-key-start'));
    expect(text(await screen.findByTestId('error'))).toBe(`${en['error.key_not_registered.what']} ${en['error.key_not_registered.next']}`);
    expect(screen.getByTestId('agent-use-passcode')).toBeTruthy();
  });

  it('every new code has Spanish too', () => {
    for (const code of ['permission_denied', 'own_account', 'caller_not_verified', 'caller_verification_too_weak', 'in_person_needs_kiosk', 'enrolment_link_invalid', 'key_not_registered', 'help_desk_only', 'no_person']) {
      const catalog = es as Record<string, string>;
      expect(catalog[`error.${code}.what`]).toBeTruthy();
      expect(catalog[`error.${code}.next`]).toBeTruthy();
    }
  });

  it('an agent rate limit says when to go on', async () => {
    const retryAt = new Date(Date.now() + 20 * 60_000).toISOString();
    hdBackend(HD_INFO, { agent_unlock: () => { throw err('limit_reached', { retryAt }); } });
    openAs(HOPPER, 'hdUnlock', { caller: verified() });
    const user = userEvent.setup();
    await user.type(await screen.findByTestId('hd-reason'), REASON);
    await user.click(screen.getByTestId('hd-unlock-submit'));
    const error = text(await screen.findByTestId('error'));
    expect(error).toContain(en['error.limit_reached.agent.what']);
    expect(error).toMatch(/in about 20 min/);
  });
});
