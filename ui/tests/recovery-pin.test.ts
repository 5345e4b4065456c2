/**
 * "Set up or change your recovery PIN": Start's secondary entry → SignIn → Verify in passcode
 * mode → RecoveryPin → Done, the Devices row, the Verify disclosure, and the checks and errors
 * of the new PIN, through the real App with the IPC mocked at Tauri's boundary.
 */
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import App from '../src/App.svelte';
import en from '../src/locales/en.json';
import es from '../src/locales/es.json';
import { describeError } from '../src/lib/errors';
import { setLocale } from '../src/lib/i18n.svelte';
import { AppError, type RecoveryPinStatus } from '../src/lib/ipc';
import { app, reset } from '../src/lib/state.svelte';
import { checkNewRecoveryPin } from '../src/lib/validation';
import { err, INFO, soon } from './fixtures';

type Handler = (args: Record<string, unknown>) => unknown;

const CAN_SET: RecoveryPinStatus = {
  set: true,
  setAt: '2026-03-04T10:00:00Z',
  canSet: true,
  minDigits: 6,
  maxDigits: 12,
};

function backend(overrides: Record<string, Handler> = {}) {
  const calls: { cmd: string; args: Record<string, unknown> }[] = [];
  const handlers: Record<string, Handler> = {
    app_info: () => INFO,
    begin_sign_in: () => null,
    verify_passcode: () => ({ displayName: 'Ada', expiresAt: soon() }),
    recovery_pin_status: () => CAN_SET,
    list_devices: () => [],
    finish: () => null,
    ...overrides,
  };
  mockIPC((cmd, args) => {
    const a = (args ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args: a });
    const h = handlers[cmd];
    if (!h) throw err('internal');
    return h(a);
  });
  return calls;
}

/** Starts the app already verified, on the RecoveryPin screen. */
function onRecoveryPin() {
  app.session = { displayName: 'Ada', expiresAt: soon() };
  app.problem = 'recovery-pin';
  app.verifyMode = 'passcode';
  app.screen = 'recoveryPin';
  render(App);
}

const input = (id: string) => screen.getByTestId(id) as HTMLInputElement;

beforeEach(() => {
  app.info = null;
  reset();
  setLocale('en');
});
afterEach(() => clearMocks());

describe('checkNewRecoveryPin', () => {
  it('accepts the same digits twice within the bounds, trimmed', () => {
    expect(checkNewRecoveryPin(' 480162', '480162 ', 6, 12)).toEqual({ pin: null, confirmation: null, value: '480162' });
  });
  it('names each problem on its own input', () => {
    expect(checkNewRecoveryPin('', '', 6, 12)).toMatchObject({
      pin: 'validation.newPin.required',
      confirmation: 'validation.newPin.confirmRequired',
      value: null,
    });
    expect(checkNewRecoveryPin('48o162', '48o162', 6, 12).pin).toBe('validation.newPin.digits');
    expect(checkNewRecoveryPin('4801', '4801', 6, 12).pin).toBe('validation.newPin.length');
    expect(checkNewRecoveryPin('4801623456789', '4801623456789', 6, 12).pin).toBe('validation.newPin.length');
    expect(checkNewRecoveryPin('480162', '480163', 6, 12)).toEqual({
      pin: null,
      confirmation: 'validation.newPin.mismatch',
      value: null,
    });
  });
  it('follows the organisation’s bounds', () => {
    expect(checkNewRecoveryPin('4801', '4801', 4, 8).value).toBe('4801');
    expect(checkNewRecoveryPin('480162', '480162', 8, 12).pin).toBe('validation.newPin.length');
  });
});

describe('recovery PIN errors', () => {
  const NOW = Date.parse('2026-05-20T10:00:00Z');
  it('sends date_of_birth_unknown to the help desk', () => {
    const view = describeError(new AppError({ code: 'date_of_birth_unknown' }), NOW, 'en');
    expect(view.showHelpDesk).toBe(true);
    expect(view.signInAgain).toBe(false);
  });
  it('offers a passcode sign-in for passcode_sign_in_required', () => {
    const view = describeError(new AppError({ code: 'passcode_sign_in_required' }), NOW, 'en');
    expect(view.offerPasscodeSignIn).toBe(true);
    expect(view.signInAgain).toBe(false);
    expect(describeError(new AppError({ code: 'verification_failed' }), NOW, 'en').offerPasscodeSignIn).toBe(false);
  });
  it('points at the PIN to change for too simple, and at the confirmation for a mismatch', () => {
    expect(describeError(new AppError({ code: 'recovery_pin_too_simple' }), NOW, 'en').field).toBe('pin');
    expect(
      describeError(new AppError({ code: 'recovery_pin_mismatch', field: 'confirmation' }), NOW, 'en').field,
    ).toBe('confirmation');
  });
  it('says nothing was changed, in both languages', () => {
    expect(en['error.recovery_pin_too_simple.what']).toMatch(/nothing was changed/);
    expect(es['error.recovery_pin_too_simple.what']).toMatch(/no se ha cambiado nada/);
  });
});

describe('Set up or change your recovery PIN', () => {
  it('goes Start → sign in → any passcode → the PIN twice → Done, and the PIN is emptied', async () => {
    const calls = backend({ set_recovery_pin: () => ({ changed: true, setAt: '2026-05-20T10:00:00Z' }) });
    const user = userEvent.setup();
    render(App);

    await user.click(await screen.findByTestId('choice-recovery-pin'));
    await user.type(input('username'), 'ada');
    await user.type(input('password'), 'correct-horse-battery');
    await user.click(screen.getByTestId('sign-in-submit'));

    // Straight to the passcode, explained for a device's code or a bypass code; no PIN switch.
    await screen.findByTestId('passcode');
    expect(screen.getByRole('heading', { level: 1 }).textContent?.trim()).toBe(en['verify.title.anyPasscode']);
    expect(screen.getByText(en['verify.lead.anyPasscode'])).toBeTruthy();
    expect(screen.queryByTestId('use-pin')).toBeNull();
    await user.type(input('passcode'), '123 456 789');
    await user.click(screen.getByTestId('verify-submit'));

    await screen.findByTestId('new-pin');
    expect(screen.getByRole('heading', { level: 1 }).textContent?.trim()).toBe(en['recoveryPin.title.change']);
    expect(screen.getByTestId('recovery-pin-status').textContent).toMatch(/set on .*2026/);
    const pin = input('new-pin');
    const again = input('confirm-pin');
    for (const field of [pin, again]) {
      expect(field.type).toBe('password');
      expect(field.inputMode).toBe('numeric');
      expect(field.autocomplete).toBe('off');
    }
    expect(screen.getByLabelText(en['recoveryPin.pin'])).toBe(pin);
    expect(pin.getAttribute('aria-describedby')).toContain('new-pin-hint');
    expect(screen.getByText('6 to 12 digits.', { exact: false })).toBeTruthy();

    await user.type(pin, '480162');
    await user.type(again, '480162');
    await user.click(screen.getByTestId('recovery-pin-submit'));

    await screen.findByTestId('done-list');
    expect(screen.getByTestId('done-list').textContent).toContain(en['done.item.recoveryPinChanged']);
    expect(calls.find((c) => c.cmd === 'verify_passcode')?.args).toEqual({ passcode: '123456789' });
    expect(calls.find((c) => c.cmd === 'set_recovery_pin')?.args).toEqual({ pin: '480162', confirmation: '480162' });
    expect(calls.filter((c) => c.cmd === 'set_recovery_pin')).toHaveLength(1);
    expect(document.querySelectorAll('input[type="password"]')).toHaveLength(0);
  });

  it('refuses two different entries before calling Rust, on the confirmation field', async () => {
    const calls = backend();
    const user = userEvent.setup();
    onRecoveryPin();
    await user.type(await screen.findByTestId('new-pin'), '480162');
    await user.type(input('confirm-pin'), '480126');
    await user.click(screen.getByTestId('recovery-pin-submit'));
    expect((await screen.findByTestId('confirm-pin-error')).textContent).toBe(en['validation.newPin.mismatch']);
    expect(input('confirm-pin').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(input('confirm-pin'));
    expect(calls.some((c) => c.cmd === 'set_recovery_pin')).toBe(false);
  });

  it('says a PIN is too easy to guess, empties both fields and stays', async () => {
    backend({ set_recovery_pin: () => { throw err('recovery_pin_too_simple'); } });
    const user = userEvent.setup();
    onRecoveryPin();
    await user.type(await screen.findByTestId('new-pin'), '123456');
    await user.type(input('confirm-pin'), '123456');
    await user.click(screen.getByTestId('recovery-pin-submit'));
    const error = await screen.findByTestId('error');
    expect(error.textContent).toContain(en['error.recovery_pin_too_simple.what']);
    expect(error.textContent).toContain(en['error.recovery_pin_too_simple.next']);
    await waitFor(() => expect(input('new-pin').value).toBe(''));
    expect(input('confirm-pin').value).toBe('');
  });

  it('sends date_of_birth_unknown to the help desk with its contact', async () => {
    backend({ set_recovery_pin: () => { throw err('date_of_birth_unknown'); } });
    const user = userEvent.setup();
    onRecoveryPin();
    await user.type(await screen.findByTestId('new-pin'), '480162');
    await user.type(input('confirm-pin'), '480162');
    await user.click(screen.getByTestId('recovery-pin-submit'));
    expect((await screen.findByTestId('error')).textContent).toContain(en['error.date_of_birth_unknown.what']);
    expect(screen.getByTestId('error-help-desk').textContent).toContain('+1 555 010 0100');
  });

  it('in a session opened with the PIN, offers to sign in with a code instead', async () => {
    const calls = backend({ recovery_pin_status: () => ({ ...CAN_SET, canSet: false }) });
    const user = userEvent.setup();
    onRecoveryPin();
    await screen.findByTestId('recovery-pin-needs-passcode');
    expect(screen.queryByTestId('new-pin')).toBeNull();
    await user.click(screen.getByTestId('recovery-pin-sign-in-passcode'));
    await screen.findByTestId('username');
    expect(calls.some((c) => c.cmd === 'finish')).toBe(true);
    expect(app.session).toBeNull();
    expect(app.problem).toBe('recovery-pin');
    expect(app.verifyMode).toBe('passcode');
  });

  it('offers to try again when the status cannot be read', async () => {
    let tries = 0;
    backend({
      recovery_pin_status: () => {
        tries += 1;
        if (tries === 1) throw err('service_unreachable');
        return CAN_SET;
      },
    });
    const user = userEvent.setup();
    onRecoveryPin();
    expect((await screen.findByTestId('error')).textContent).toContain(en['error.service_unreachable.what']);
    expect(screen.getByTestId('error-help-desk')).toBeTruthy();
    await user.click(screen.getByTestId('recovery-pin-retry'));
    await screen.findByTestId('new-pin');
    expect(screen.queryByTestId('error')).toBeNull();
  });

  it('sends a stale passcode sign-in back to sign in, with the reason', async () => {
    backend({ set_recovery_pin: () => { throw err('reverification_required'); } });
    const user = userEvent.setup();
    onRecoveryPin();
    await user.type(await screen.findByTestId('new-pin'), '480162');
    await user.type(input('confirm-pin'), '480162');
    await user.click(screen.getByTestId('recovery-pin-submit'));
    await screen.findByTestId('username');
    expect(screen.getByTestId('error').textContent).toContain(en['error.reverification_required.what']);
    expect(app.verifyMode).toBe('passcode');
  });
});

describe('Devices and Verify', () => {
  it('shows the recovery PIN row in a passcode session, and opens the screen', async () => {
    backend({ recovery_pin_status: () => ({ ...CAN_SET, set: false, setAt: null }) });
    const user = userEvent.setup();
    app.session = { displayName: 'Ada', expiresAt: soon() };
    app.screen = 'devices';
    render(App);
    expect((await screen.findByTestId('recovery-pin-row-status')).textContent?.trim()).toBe(en['recoveryPin.status.notSet']);
    await user.click(screen.getByTestId('action-recovery-pin'));
    expect((await screen.findByRole('heading', { level: 1 })).textContent?.trim()).toBe(en['recoveryPin.title.set']);
  });

  it('shows no row in a session opened with the PIN', async () => {
    backend({ recovery_pin_status: () => ({ ...CAN_SET, canSet: false }) });
    app.session = { displayName: 'Ada', expiresAt: soon() };
    app.screen = 'devices';
    render(App);
    await screen.findByTestId('devices-empty');
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.queryByTestId('recovery-pin-row')).toBeNull();
  });

  it('answers "No recovery PIN yet?" on the PIN form, with the help desk', async () => {
    backend();
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByTestId('choice-new-phone'));
    await user.type(input('username'), 'ada');
    await user.type(input('password'), 'correct-horse-battery');
    await user.click(screen.getByTestId('sign-in-submit'));
    const toggle = await screen.findByTestId('no-pin-help-toggle');
    const details = screen.getByTestId('no-pin-help') as HTMLDetailsElement;
    expect(details.open).toBe(false);
    // A native <summary>: the browser opens it with Enter or Space; jsdom only with a click.
    await user.click(toggle);
    await waitFor(() => expect(details.open).toBe(true));
    expect(details.textContent).toContain(en['verify.noPin.text']);
    expect(screen.getByTestId('no-pin-help-desk').textContent).toContain('+1 555 010 0100');
  });
});
