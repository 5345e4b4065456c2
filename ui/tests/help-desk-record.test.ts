/**
 * FindPerson → PersonRecord → VerifyCaller through the real App with the IPC mocked: the record's
 * contents, the three caller checks, and the UI's guard rules (disabled until verified, strong-only
 * actions after a PIN check, the daily lock hidden from help_desk, own and agent accounts).
 */
import { clearMocks } from '@tauri-apps/api/mocks';
import { screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import en from '../src/locales/en.json';
import es from '../src/locales/es.json';
import { setLocale } from '../src/lib/i18n.svelte';
import { app, reset } from '../src/lib/state.svelte';
import { err } from './fixtures';
import { HD_INFO, hdBackend, HOPPER, MARGARET, openAs, person, text, verified } from './helpDeskFixtures';

const input = (id: string) => screen.getByTestId(id) as HTMLInputElement;
const button = (id: string) => screen.getByTestId(id) as HTMLButtonElement;
const STRONG = ['hd-action-issue-code', 'hd-action-add-phone', 'hd-action-register-key'];
const WEAK = ['hd-action-send-activation', 'hd-action-send-key-link', 'hd-action-unlock', 'hd-action-clear-pin', 'hd-action-remove-ph1'];

beforeEach(() => {
  app.info = null;
  reset();
  setLocale('en');
});
afterEach(() => clearMocks());

describe('FindPerson', () => {
  it('opens the record by exact username and explains there is no search', async () => {
    const b = hdBackend();
    const user = userEvent.setup();
    openAs(HOPPER, 'findPerson', { person: null });
    expect((await screen.findByText(en['hd.find.lead']))).toBeTruthy();
    await user.type(input('find-username'), '  ada {Enter}');
    await screen.findByTestId('caller-status');
    expect(b.argsOf('agent_find_person')).toEqual({ username: 'ada' });
    expect(app.person?.username).toBe('ada');
    expect(app.caller).toBeNull();
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Ada Lovelace (ada)');
    expect(screen.getByTestId('end-call')).toBeTruthy();
  });

  it('an unknown username says so in the look-up wording; an empty one is not sent', async () => {
    const b = hdBackend(HD_INFO, { agent_find_person: () => { throw err('not_found'); } });
    const user = userEvent.setup();
    openAs(HOPPER, 'findPerson', { person: null });
    await user.click(await screen.findByTestId('find-submit'));
    expect(screen.getByTestId('find-username-error').textContent).toBe(en['validation.hdUsername.required']);
    expect(b.called('agent_find_person')).toBe(false);
    await user.type(input('find-username'), 'nobody{Enter}');
    expect(text(await screen.findByTestId('error'))).toBe(`${en['error.not_found.lookUp.what']} ${en['error.not_found.lookUp.next']}`);
    expect(app.person).toBeNull();
  });
});

describe('PersonRecord', () => {
  it('shows the masked details, lock with its end, PIN, devices and localized events', async () => {
    hdBackend();
    openAs(HOPPER, 'personRecord');
    await screen.findByTestId('caller-status');
    expect(screen.getByTestId('person-addresses').textContent).toContain('a•••@example.org');
    expect(screen.getByTestId('person-phones').textContent).toContain('•••• 0178');
    expect(text(screen.getByTestId('person-lock'))).toMatch(/^Locked until .+ after failed checks\. Failed checks in the last 24 hours: 3\.$/);
    expect(screen.getByTestId('person-pin').textContent).toBe(en['hd.record.pinSet']);
    expect(screen.getByTestId('person-device-ph1').textContent).toContain('•••• 0100');
    expect(screen.getByTestId('person-device-hw1').textContent).toContain(en['device.kind.hardware_token']);
    const rows = screen.getByTestId('person-events').querySelectorAll('tbody tr');
    expect(rows).toHaveLength(3);
    expect(text(rows[0])).toContain(en['hd.event.verification_failed']);
    expect(text(rows[0])).toContain(en['hd.outcome.failure']);
    expect(text(rows[0])).toContain('the device at 192.0.2.7');
    expect(text(rows[1])).toContain(en['hd.event.bypass_code_issued']);
    // An event this app does not know yet is shown by its name.
    expect(text(rows[2])).toContain('something_new');
    expect(screen.getByTestId('person-events').querySelectorAll('th[scope="col"]')).toHaveLength(4);
    expect(screen.queryByTestId('person-banner-own')).toBeNull();
    expect(screen.queryByTestId('person-banner-agent')).toBeNull();
  });

  it('keeps every action disabled with "Verify the caller first" until verified', async () => {
    hdBackend();
    openAs(HOPPER, 'personRecord');
    await screen.findByTestId('caller-status');
    expect(screen.getByTestId('caller-status').textContent).toContain(en['hd.caller.status.none']);
    for (const id of [...STRONG, ...WEAK]) {
      expect(button(id).disabled, id).toBe(true);
      const why = document.getElementById(button(id).getAttribute('aria-describedby') ?? '');
      expect(why?.textContent, id).toBe(en['hd.why.verifyFirst']);
    }
    expect(button('verify-caller').disabled).toBe(false);
  });

  it('hides lifting the daily lock from help_desk and says an administrator must; admins see it', async () => {
    hdBackend();
    const daily = person({ lock: { state: 'until_help_desk', until: null, failuresLastDay: 12 } });
    const { unmount } = openAs(HOPPER, 'personRecord', { person: daily, caller: verified() });
    await screen.findByTestId('caller-status');
    expect(screen.queryByTestId('hd-action-unlock')).toBeNull();
    expect(screen.getByTestId('unlock-admin-only').textContent).toBe(en['hd.record.unlockAdminOnly']);
    expect(text(screen.getByTestId('person-lock'))).toContain(en['hd.lock.until_help_desk']);
    unmount();
    openAs(MARGARET, 'personRecord', { person: daily, caller: verified() });
    await screen.findByTestId('caller-status');
    expect(button('hd-action-unlock').disabled).toBe(false);
    expect(screen.queryByTestId('unlock-admin-only')).toBeNull();
  });

  it('own account: a banner, and nothing can be done or verified', async () => {
    hdBackend();
    openAs(MARGARET, 'personRecord', { person: person({ ownAccount: true, isAgent: true, username: 'margaret' }), caller: verified() });
    expect((await screen.findByTestId('person-banner-own')).textContent).toBe(en['hd.record.ownAccount']);
    expect(button('verify-caller').disabled).toBe(true);
    expect(screen.getByTestId('verify-caller-why').textContent).toBe(en['hd.why.ownAccount']);
    for (const id of [...STRONG, ...WEAK]) expect(button(id).disabled, id).toBe(true);
  });

  it("an agent's account: help_desk may not act, an admin may (with a warning)", async () => {
    hdBackend();
    const { unmount } = openAs(HOPPER, 'personRecord', { person: person({ isAgent: true }), caller: verified() });
    expect((await screen.findByTestId('person-banner-agent')).textContent).toBe(en['hd.record.isAgent']);
    expect(button('hd-action-issue-code').disabled).toBe(true);
    expect(screen.getByTestId('hd-action-issue-code-why').textContent).toBe(en['hd.why.agentAccount']);
    unmount();
    openAs(MARGARET, 'personRecord', { person: person({ isAgent: true }), caller: verified() });
    expect((await screen.findByTestId('person-banner-agent')).textContent).toBe(en['hd.record.isAgent.admin']);
    expect(button('hd-action-issue-code').disabled).toBe(false);
  });
});

describe('reloading the record', () => {
  it('reads the same person again and keeps the caller check', async () => {
    const b = hdBackend(HD_INFO, { agent_find_person: () => person({ recoveryPinSet: false }) });
    const user = userEvent.setup();
    openAs(HOPPER, 'personRecord', { caller: verified() });
    await user.click(await screen.findByTestId('person-reload'));
    await waitFor(() => expect(screen.getByTestId('person-pin').textContent).toBe(en['hd.record.pinNotSet']));
    expect(b.argsOf('agent_find_person')).toEqual({ username: 'ada' });
    expect(app.caller?.status).toBe('verified');
  });
});

describe('VerifyCaller', () => {
  it('sent code by e-mail: sends, then checks the code read back; every action opens up', async () => {
    const b = hdBackend();
    const user = userEvent.setup();
    openAs(HOPPER, 'personRecord');
    await user.click(await screen.findByTestId('verify-caller'));
    await user.click(await screen.findByTestId('caller-send-email'));
    expect(b.argsOf('agent_send_caller_code')).toEqual({ channel: 'email' });
    expect((await screen.findByTestId('caller-sent-to')).textContent).toBe('A code was sent to a•••@example.org.');
    expect(screen.getByTestId('caller-code-countdown').textContent).toMatch(/Expires in/);
    expect(app.caller?.status).toBe('pending');
    await waitFor(() => expect(document.activeElement?.id).toBe('caller-code'));

    await user.type(input('caller-code'), '12345{Enter}');
    expect(screen.getByTestId('caller-code-error').textContent).toBe(en['validation.code.format']);
    expect(b.called('agent_check_caller_code')).toBe(false);
    await user.type(input('caller-code'), '6{Enter}');

    await screen.findByTestId('caller-status');
    expect(b.argsOf('agent_check_caller_code')).toEqual({ code: '123456' });
    expect(screen.getByTestId('notice').textContent).toBe(en['hd.caller.done.sent_code']);
    expect(screen.getByTestId('caller-status').textContent).toContain(en['hd.caller.status.verified.sent_code']);
    for (const id of [...STRONG, ...WEAK]) expect(button(id).disabled, id).toBe(false);
    expect(JSON.stringify(app)).not.toContain('123456"');
  });

  it('a wrong code counts the tries left in the caller wording; an expired one asks to send again', async () => {
    let answer = err('code_incorrect', { attemptsLeft: 2 });
    hdBackend(HD_INFO, { agent_check_caller_code: () => { throw answer; } });
    const user = userEvent.setup();
    openAs(HOPPER, 'verifyCaller');
    await user.click(await screen.findByTestId('caller-send-text'));
    await user.type(await screen.findByTestId('caller-code'), '000000{Enter}');
    expect(text(await screen.findByTestId('error'))).toBe(`${en['error.code_incorrect.caller.what']} Check the code and type it again. You have 2 tries left.`);
    expect(input('caller-code').value).toBe('');
    answer = err('verification_expired');
    await user.type(input('caller-code'), '000001{Enter}');
    await waitFor(() => expect(text(screen.getByTestId('error'))).toBe(`${en['error.verification_expired.caller.what']} ${en['error.verification_expired.caller.next']}`));
    expect(screen.queryByTestId('caller-code')).toBeNull();
  });

  it('date of birth + PIN: verified, but the strong actions stay disabled with the reason', async () => {
    const b = hdBackend();
    const user = userEvent.setup();
    openAs(HOPPER, 'verifyCaller');
    await user.click(await screen.findByTestId('caller-method-pin'));
    expect(screen.getByTestId('caller-pin-weak').textContent).toBe(en['hd.verify.pin.weak']);
    await user.click(screen.getByTestId('caller-pin-submit'));
    expect(screen.getByTestId('caller-date-of-birth-error').textContent).toBe(en['validation.hdCallerDateOfBirth.required']);
    expect(screen.getByTestId('caller-pin-error').textContent).toBe(en['validation.hdCallerPin.required']);
    expect(b.called('agent_verify_caller_pin')).toBe(false);

    await user.type(input('caller-date-of-birth'), '1985-12-10');
    await user.type(input('caller-pin'), '482913{Enter}');
    await screen.findByTestId('caller-status');
    expect(b.argsOf('agent_verify_caller_pin')).toEqual({ dateOfBirth: '1985-12-10', pin: '482913' });
    expect(screen.getByTestId('caller-weak').textContent).toBe(en['hd.caller.weakNote']);
    for (const id of STRONG) {
      expect(button(id).disabled, id).toBe(true);
      expect(screen.getByTestId(`${id}-why`).textContent).toBe(en['hd.why.tooWeak']);
    }
    for (const id of WEAK) expect(button(id).disabled, id).toBe(false);
    expect(JSON.stringify(app)).not.toContain('482913');
  });

  it('a wrong date of birth or PIN reads for the caller and empties the PIN', async () => {
    hdBackend(HD_INFO, { agent_verify_caller_pin: () => { throw err('verification_failed'); } });
    const user = userEvent.setup();
    openAs(HOPPER, 'verifyCaller');
    await user.click(await screen.findByTestId('caller-method-pin'));
    await user.type(input('caller-date-of-birth'), '1985-12-10');
    await user.type(input('caller-pin'), '000000{Enter}');
    expect(text(await screen.findByTestId('error'))).toBe(`${en['error.verification_failed.caller.what']} ${en['error.verification_failed.caller.next']}`);
    expect(input('caller-pin').value).toBe('');
    expect(app.caller).toBeNull();
  });

  it('in person with photo ID is offered only at a kiosk, and needs the document and the confirmation', async () => {
    hdBackend();
    const { unmount } = openAs(HOPPER, 'verifyCaller');
    await screen.findByTestId('caller-method-code');
    expect(screen.queryByTestId('caller-method-in-person')).toBeNull();
    unmount();
    clearMocks();
    reset();

    const b = hdBackend({ ...HD_INFO, kiosk: true, copyAllowed: false, kioskIdle: { warnAfterSeconds: 600, resetAfterSeconds: 60 } });
    const user = userEvent.setup();
    openAs(HOPPER, 'verifyCaller');
    await user.click(await screen.findByTestId('caller-method-in-person'));
    await user.click(screen.getByTestId('caller-in-person-submit'));
    expect(screen.getByTestId('caller-in-person-error').textContent).toBe(en['validation.hdIdDocument.required']);
    await user.selectOptions(screen.getByTestId('caller-id-document'), 'passport');
    await user.click(screen.getByTestId('caller-in-person-submit'));
    expect(screen.getByTestId('caller-in-person-error').textContent).toBe(en['validation.hdIdDocument.seen']);
    expect(b.called('agent_verify_caller_in_person')).toBe(false);
    await user.click(screen.getByTestId('caller-in-person-seen'));
    await user.click(screen.getByTestId('caller-in-person-submit'));
    await screen.findByTestId('caller-status');
    expect(b.argsOf('agent_verify_caller_in_person')).toEqual({ idDocument: 'passport' });
    expect(screen.getByTestId('caller-status').textContent).toContain(en['hd.caller.status.verified.in_person']);
    for (const id of STRONG) expect(button(id).disabled, id).toBe(false);
  });

  it('the Spanish record reads in Spanish', async () => {
    hdBackend({ ...HD_INFO, locale: 'es' });
    openAs(HOPPER, 'personRecord');
    await screen.findByTestId('caller-status');
    expect(screen.getByTestId('hd-action-issue-code-why').textContent).toBe(es['hd.why.verifyFirst']);
    expect(text(screen.getByTestId('person-events'))).toContain(es['hd.event.verification_failed']);
  });
});

describe('keyboard', () => {
  it('finds a person, verifies the caller and opens an action with the keyboard only', async () => {
    hdBackend();
    const user = userEvent.setup();
    openAs(MARGARET, 'findPerson', { person: null });
    await screen.findByTestId('find-username');
    // Focus starts on the heading; Tab reaches the field, Enter submits.
    input('find-username').focus();
    await user.keyboard('ada{Enter}');
    await screen.findByTestId('verify-caller');
    button('verify-caller').focus();
    await user.keyboard('{Enter}');
    (await screen.findByTestId('caller-send-email')).focus();
    await user.keyboard('{Enter}');
    (await screen.findByTestId('caller-code')).focus();
    await user.keyboard('123456{Enter}');
    const issue = await screen.findByTestId('hd-action-issue-code');
    issue.focus();
    await user.keyboard('{Enter}');
    expect(await screen.findByTestId('hd-reason')).toBeTruthy();
    expect(document.activeElement?.tagName).toBe('H1');
  });
});
