/**
 * Agent mode through the real App with the IPC mocked: it opens on the agent's sign-in, signs in
 * with a code or a security key (the same ceremony and prompts as the person's key screen),
 * and signing out, the session's end and the kiosk's idle reset wipe the agent's state.
 */
import { clearMocks } from '@tauri-apps/api/mocks';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import App from '../src/App.svelte';
import en from '../src/locales/en.json';
import es from '../src/locales/es.json';
import { setLocale } from '../src/lib/i18n.svelte';
import { app, reset } from '../src/lib/state.svelte';
import { err, soon } from './fixtures';
import { HD_INFO, hdBackend, HOPPER, MARGARET, openAs, person, text, verified } from './helpDeskFixtures';

const input = (id: string) => screen.getByTestId(id) as HTMLInputElement;

beforeEach(() => {
  app.info = null;
  reset();
  setLocale('en');
});
afterEach(() => clearMocks());

async function passwordStep(user: ReturnType<typeof userEvent.setup>, username = 'margaret', password = 'apollo-guidance-1969') {
  await user.type(await screen.findByTestId('agent-username'), username);
  await user.type(input('agent-password'), `${password}{Enter}`);
}

describe('agent sign-in', () => {
  it('opens on the agent sign-in instead of Start, without "Finish and clear"', async () => {
    hdBackend();
    render(App);
    expect(await screen.findByTestId('agent-username')).toBeTruthy();
    expect(screen.queryByTestId('choice-new-phone')).toBeNull();
    expect(screen.queryByTestId('finish')).toBeNull();
    expect(screen.getByTestId('help-desk-badge').textContent).toBe(en['hd.badge']);
    expect(screen.queryByTestId('agent-bar')).toBeNull();
  });

  it('password, then a code from the own device; the header shows the agent, role and session', async () => {
    const b = hdBackend();
    const user = userEvent.setup();
    render(App);
    await passwordStep(user);
    await user.click(await screen.findByTestId('agent-use-passcode'));
    expect(b.argsOf('agent_begin_sign_in')).toEqual({ username: 'margaret', password: 'apollo-guidance-1969' });

    // A 9-digit help-desk code is refused here, before anything is sent.
    await user.type(await screen.findByTestId('agent-passcode'), '123 456 789{Enter}');
    expect(screen.getByTestId('agent-passcode-error').textContent).toBe(en['validation.code.format']);
    expect(b.called('agent_sign_in_with_passcode')).toBe(false);

    await user.clear(input('agent-passcode'));
    await user.type(input('agent-passcode'), '755 224{Enter}');
    await screen.findByTestId('find-username');
    expect(b.argsOf('agent_sign_in_with_passcode')).toEqual({ passcode: '755224' });
    expect(app.agent?.username).toBe('margaret');
    expect(text(screen.getByTestId('agent-name'))).toBe('Signed in: Margaret Hamilton (margaret)');
    expect(screen.getByTestId('agent-role').textContent).toBe(en['hd.role.admin']);
    expect(screen.getByTestId('agent-session-countdown').textContent).toMatch(/Session ends in 1[45]:\d\d/);
    expect(screen.getByTestId('sign-out')).toBeTruthy();
    // No person open: no "End call".
    expect(screen.queryByTestId('end-call')).toBeNull();
    expect(JSON.stringify(app)).not.toContain('apollo');
  });

  it('password, then the demo security key: PIN and touch through the key ceremony', async () => {
    const b = hdBackend({ ...HD_INFO, demo: true }, { agent_sign_in_with_key: () => new Promise(() => {}) });
    const user = userEvent.setup();
    render(App);
    await passwordStep(user, 'hopper', 'cobol-compiler-1959');
    await user.click(await screen.findByTestId('agent-key-demo'));
    await waitFor(() => expect(b.called('agent_sign_in_with_key')).toBe(true));
    expect(b.argsOf('agent_sign_in_with_key')?.source).toBe('demo');

    b.emit({ event: 'keyFound', model: 'Demo security key', aaguid: null, pin: { state: 'set', retriesLeft: 8, blockedUntilReinserted: false }, minPinLength: 4 });
    b.emit({ event: 'pinNeeded', retriesLeft: 8 });
    await user.type(await screen.findByTestId('key-pin'), '1906{Enter}');
    await waitFor(() => expect(b.argsOf('answer_key_pin')).toEqual({ pin: '1906', newPin: false }));
    b.emit({ event: 'touchNeeded' });
    await user.click(await screen.findByTestId('key-demo-touch'));
    expect(b.called('touch_demo_key')).toBe(true);
    expect(JSON.stringify(app)).not.toContain('1906');
  });

  it('a security key that signs in goes to FindPerson; the USB key is the default outside demo mode', async () => {
    let resolve: (v: unknown) => void = () => {};
    const b = hdBackend(HD_INFO, { agent_sign_in_with_key: () => new Promise((r) => (resolve = r)) });
    const user = userEvent.setup();
    render(App);
    await passwordStep(user, 'hopper', 'cobol-compiler-1959');
    expect(screen.queryByTestId('agent-key-demo')).toBeNull();
    await user.click(await screen.findByTestId('agent-key-start'));
    await waitFor(() => expect(b.argsOf('agent_sign_in_with_key')?.source).toBe('usb'));
    b.emit({ event: 'waitingForKey' });
    expect(await screen.findByTestId('key-waiting')).toBeTruthy();
    resolve(HOPPER);
    await screen.findByTestId('find-username');
    expect(app.agent?.role).toBe('help_desk');
    expect(screen.getByTestId('agent-role').textContent).toBe(en['hd.role.help_desk']);
  });

  it('a key that fails shows the agent wording and offers the choice again', async () => {
    const b = hdBackend(HD_INFO, {
      agent_sign_in_with_key: () => new Promise((_, reject) => setTimeout(() => reject(err('verification_failed')), 10)),
    });
    const user = userEvent.setup();
    render(App);
    await passwordStep(user);
    await user.click(await screen.findByTestId('agent-key-start'));
    const error = await screen.findByTestId('error');
    expect(text(error)).toBe(`${en['error.verification_failed.agent.what']} ${en['error.verification_failed.agent.next']}`);
    expect(screen.getByTestId('agent-key-start')).toBeTruthy();
    expect(b.called('agent_sign_in_with_key')).toBe(true);
    expect(app.agent).toBeNull();
  });

  it('a wrong password shows the agent wording and empties the password', async () => {
    hdBackend(HD_INFO, { agent_begin_sign_in: () => { throw err('verification_failed'); } });
    const user = userEvent.setup();
    render(App);
    await passwordStep(user);
    expect(text(await screen.findByTestId('error'))).toContain(en['error.verification_failed.agent.what']);
    expect(input('agent-password').value).toBe('');
    expect(input('agent-username').value).toBe('margaret');
  });

  it('checks the inputs before sending', async () => {
    const b = hdBackend();
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByTestId('agent-sign-in-submit'));
    expect(screen.getByTestId('agent-username-error').textContent).toBe(en['validation.username.required']);
    expect(screen.getByTestId('agent-password-error').textContent).toBe(en['validation.password.required']);
    expect(document.activeElement?.id).toBe('agent-username');
    expect(b.called('agent_begin_sign_in')).toBe(false);
  });
});

describe('leaving: sign out, end call, session end, kiosk idle', () => {
  it('"Sign out" calls agent_sign_out and wipes the agent, the person and the caller check', async () => {
    const b = hdBackend();
    const user = userEvent.setup();
    openAs(MARGARET, 'personRecord', { caller: verified() });
    await user.click(await screen.findByTestId('sign-out'));
    await screen.findByTestId('agent-username');
    expect(b.called('agent_sign_out')).toBe(true);
    expect(b.called('finish')).toBe(false);
    expect(app.agent).toBeNull();
    expect(app.person).toBeNull();
    expect(app.caller).toBeNull();
    expect(screen.queryByTestId('agent-bar')).toBeNull();
  });

  it('"End call" forgets the person and the caller check, and keeps the agent signed in', async () => {
    const b = hdBackend();
    const user = userEvent.setup();
    openAs(HOPPER, 'personRecord', { caller: verified() });
    await user.click(await screen.findByTestId('end-call'));
    await screen.findByTestId('find-username');
    expect(b.called('agent_end_call')).toBe(true);
    expect(app.person).toBeNull();
    expect(app.caller).toBeNull();
    expect(app.agent?.username).toBe('hopper');
    expect(screen.queryByTestId('end-call')).toBeNull();
  });

  it('a session that ended at the service sends the agent to sign in again, with the reason', async () => {
    hdBackend(HD_INFO, { agent_find_person: () => { throw err('session_expired'); } });
    const user = userEvent.setup();
    openAs(HOPPER, 'findPerson', { person: null });
    await user.type(await screen.findByTestId('find-username'), 'ada{Enter}');
    const error = await screen.findByTestId('error');
    expect(text(error)).toBe(`${en['error.session_expired.agent.what']} ${en['error.session_expired.agent.next']}`);
    expect(app.screen).toBe('agentSignIn');
    expect(app.agent).toBeNull();
  });

  it('the session countdown reaching zero signs out', async () => {
    const b = hdBackend();
    openAs({ ...HOPPER, expiresAt: soon(1200) }, 'findPerson', { person: null });
    await screen.findByTestId('find-username');
    await waitFor(() => expect(app.screen).toBe('agentSignIn'), { timeout: 4000 });
    expect(b.called('agent_sign_out')).toBe(true);
    expect(app.agent).toBeNull();
    expect(text(await screen.findByTestId('error'))).toContain(en['error.session_expired.agent.what']);
  });

  it('kiosk: the idle reset signs the agent out and wipes the record', async () => {
    const b = hdBackend({ ...HD_INFO, kiosk: true, copyAllowed: false, kioskIdle: { warnAfterSeconds: 1, resetAfterSeconds: 1 } });
    openAs(HOPPER, 'personRecord', { person: person(), caller: verified() });
    await screen.findByTestId('idle-warning', {}, { timeout: 3000 });
    await waitFor(() => expect(app.screen).toBe('agentSignIn'), { timeout: 4000 });
    expect(b.called('agent_sign_out')).toBe(true);
    expect(app.agent).toBeNull();
    expect(app.person).toBeNull();
    expect(app.caller).toBeNull();
  });

  it('speaks Spanish too', async () => {
    hdBackend({ ...HD_INFO, locale: 'es' });
    render(App);
    await screen.findByTestId('agent-username');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(es['hd.signIn.title']);
  });
});
