/**
 * SignIn → Verify through the real App with the IPC mocked at Tauri's boundary: the secrets
 * are emptied after each command, and errors render in data-testid="error" with their text.
 */
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import App from '../src/App.svelte';
import en from '../src/locales/en.json';
import es from '../src/locales/es.json';
import { setLocale } from '../src/lib/i18n.svelte';
import type { AppInfo } from '../src/lib/ipc';
import { INFO as BASE } from './fixtures';
import { app, reset } from '../src/lib/state.svelte';

const INFO: AppInfo = {
  ...BASE,
  demo: true,
  helpDesk: { phone: '+1 555 010 0100', url: 'https://help.example.com', email: 'help@example.com' },
};

type Handler = (args: Record<string, unknown>) => unknown;

function backend(overrides: Record<string, Handler> = {}) {
  const calls: { cmd: string; args: Record<string, unknown> }[] = [];
  const handlers: Record<string, Handler> = {
    app_info: () => INFO,
    begin_sign_in: () => null,
    list_devices: () => [],
    demo_inbox: () => [],
    finish: () => null,
    ...overrides,
  };
  mockIPC((cmd, args) => {
    calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
    const h = handlers[cmd];
    if (!h) throw { code: 'internal', field: null, retryAt: null, attemptsLeft: null };
    return h((args ?? {}) as Record<string, unknown>);
  });
  return calls;
}

const input = (id: string) => screen.getByTestId(id) as HTMLInputElement;

beforeEach(() => {
  app.info = null;
  reset();
  setLocale('en');
});
afterEach(() => clearMocks());

describe('SignIn → Verify', () => {
  it('signs in, empties the password, then shows verification_failed and empties the PIN', async () => {
    const calls = backend({
      verify_pin: () => {
        throw { code: 'verification_failed', field: null, retryAt: null, attemptsLeft: null };
      },
    });
    const user = userEvent.setup();
    render(App);

    await user.click(await screen.findByTestId('choice-new-phone'));
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(en['signIn.title']);
    expect(screen.getByText('Step 2 of 3')).toBeTruthy();

    await user.type(input('username'), 'ada');
    await user.type(input('password'), 'correct-horse-battery');
    await user.click(screen.getByTestId('sign-in-submit'));

    await screen.findByTestId('date-of-birth');
    expect(calls.find((c) => c.cmd === 'begin_sign_in')?.args).toEqual({
      username: 'ada',
      password: 'correct-horse-battery',
    });
    expect(screen.queryByTestId('password')).toBeNull();
    // Focus went to the new screen's heading.
    expect(document.activeElement?.tagName).toBe('H1');

    await user.type(input('date-of-birth'), '1985-12-10');
    await user.type(input('pin'), '999999{Enter}');

    const error = await screen.findByTestId('error');
    expect(error.textContent?.replace(/\s+/g, ' ').trim()).toBe(
      `${en['error.verification_failed.what']} ${en['error.verification_failed.next']}`,
    );
    expect(calls.find((c) => c.cmd === 'verify_pin')?.args).toEqual({
      dateOfBirth: '1985-12-10',
      pin: '999999',
    });
    expect(input('pin').value).toBe('');
    expect(input('date-of-birth').value).toBe('1985-12-10');
    expect(app.session).toBeNull();
  });

  it('empties the password when begin_sign_in fails and says when to try again', async () => {
    const retryAt = new Date(Date.now() + 5 * 60_000).toISOString();
    backend({
      begin_sign_in: () => {
        throw { code: 'too_many_attempts', field: null, retryAt, attemptsLeft: null };
      },
    });
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByTestId('choice-one-time-code'));
    await user.type(input('username'), 'ada');
    await user.type(input('password'), 'wrong{Enter}');

    const error = await screen.findByTestId('error');
    expect(error.textContent).toContain(en['error.too_many_attempts.what']);
    expect(error.textContent).toContain('in about 5 min');
    expect(input('password').value).toBe('');
    expect(input('username').value).toBe('ada');
  });

  it('checks inputs before calling Rust, linking the message to the field', async () => {
    const calls = backend();
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByTestId('choice-new-phone'));
    await user.click(screen.getByTestId('sign-in-submit'));
    const username = input('username');
    expect(username.getAttribute('aria-invalid')).toBe('true');
    expect(username.getAttribute('aria-describedby')).toContain('username-error');
    expect(screen.getByTestId('username-error').textContent).toBe(en['validation.username.required']);
    expect(document.activeElement).toBe(username);
    expect(calls.some((c) => c.cmd === 'begin_sign_in')).toBe(false);
  });

  it('verifies with a help-desk passcode and lands on the devices', async () => {
    const calls = backend({
      verify_passcode: () => ({ displayName: 'Ada Lovelace', expiresAt: new Date(Date.now() + 600_000).toISOString() }),
    });
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByTestId('choice-helpdesk-code'));
    await user.type(input('username'), 'ada');
    await user.type(input('password'), 'correct-horse-battery{Enter}');
    await user.type(await screen.findByTestId('passcode'), '123 456 789{Enter}');
    await screen.findByText('Hello, Ada Lovelace');
    expect(calls.find((c) => c.cmd === 'verify_passcode')?.args).toEqual({ passcode: '123456789' });
    expect(screen.getByTestId('finish')).toBeTruthy();
    await waitFor(() => expect(calls.some((c) => c.cmd === 'list_devices')).toBe(true));
  });

  it('sends an expired session back to sign-in with a message', async () => {
    backend({
      verify_pin: () => ({ displayName: 'Ada', expiresAt: new Date(Date.now() + 600_000).toISOString() }),
      list_devices: () => {
        throw { code: 'session_expired', field: null, retryAt: null, attemptsLeft: null };
      },
    });
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByTestId('choice-new-phone'));
    await user.type(input('username'), 'ada');
    await user.type(input('password'), 'correct-horse-battery{Enter}');
    await user.type(await screen.findByTestId('date-of-birth'), '1985-12-10');
    await user.type(input('pin'), '246810{Enter}');
    const error = await screen.findByTestId('error');
    expect(error.textContent).toContain(en['error.session_expired.what']);
    expect(screen.getByTestId('username')).toBeTruthy();
    expect(app.session).toBeNull();
  });
});

describe('Layout', () => {
  it('switches language live and sets <html lang>', async () => {
    backend();
    const user = userEvent.setup();
    render(App);
    await screen.findByTestId('choice-new-phone');
    expect(screen.getByTestId('demo-badge')).toBeTruthy();
    expect(screen.getByTestId('help-desk').textContent).toContain('+1 555 010 0100');
    await user.selectOptions(screen.getByTestId('language-picker'), 'es');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(es['start.title']);
    expect(document.documentElement.lang).toBe('es');
  });

  it('lists the demo inbox newest first', async () => {
    backend({
      demo_inbox: () => [
        { id: 1, channel: 'email', to: 'ada@example.com', subject: 'Old', body: 'first', createdAt: '2026-01-01T10:00:00Z' },
        { id: 2, channel: 'voice', to: '•••• 0142', subject: null, body: 'Your code is 1 2 3 4 5 6', createdAt: '2026-01-01T10:05:00Z' },
      ],
    });
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByTestId('demo-inbox-toggle'));
    await screen.findByTestId('demo-message-2');
    const items = screen.getByTestId('demo-inbox').querySelectorAll('[data-testid^="demo-message-"]');
    expect([...items].map((i) => i.getAttribute('data-testid'))).toEqual(['demo-message-2', 'demo-message-1']);
    expect(items[0].textContent).toContain('Your code is 1 2 3 4 5 6');
  });
});
