/** The signed-in screens with the IPC mocked: bypass code, landline, removal, kiosk idle. */
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import App from '../src/App.svelte';
import en from '../src/locales/en.json';
import { setLocale } from '../src/lib/i18n.svelte';
import type { AppInfo, Device } from '../src/lib/ipc';
import { err, INFO, soon } from './fixtures';
import { app, reset, type Screen } from '../src/lib/state.svelte';

const PHONE: Device = {
  id: 'ph1',
  kind: 'phone',
  name: 'iPhone',
  status: 'active',
  phone: { numberHint: '•••• 0100', phoneType: 'mobile', platform: 'ios', appActivated: true },
  createdAt: null,
};

type Handler = (args: Record<string, unknown>) => unknown;
function backend(info: AppInfo, overrides: Record<string, Handler> = {}) {
  const calls: { cmd: string; args: Record<string, unknown> }[] = [];
  const handlers: Record<string, Handler> = {
    app_info: () => info,
    list_devices: () => [PHONE],
    finish: () => null,
    ...overrides,
  };
  mockIPC((cmd, args) => {
    const a = (args ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args: a });
    const h = handlers[cmd];
    if (!h) throw { code: 'internal' };
    return h(a);
  });
  return calls;
}

/** Starts the app already verified, on `screen`. */
function signedIn(at: Screen) {
  app.session = { displayName: 'Ada', expiresAt: soon() };
  app.devices = [PHONE];
  app.screen = at;
  render(App);
}

const input = (id: string) => screen.getByTestId(id) as HTMLInputElement;

beforeEach(() => {
  app.info = null;
  reset();
  setLocale('en');
});
afterEach(() => clearMocks());

describe('BypassCode', () => {
  it('shows the code 3-3-3 with a countdown and copies through Rust', async () => {
    const calls = backend(INFO, { issue_bypass_code: () => ({ code: '123456789', expiresAt: soon() }), copy_bypass_code: () => null });
    const user = userEvent.setup();
    signedIn('bypassCode');
    expect((await screen.findByTestId('bypass-code')).textContent).toBe('123 456 789');
    expect(screen.getByTestId('bypass-countdown').textContent).toMatch(/Expires in (10:00|9:5\d)/);
    expect(screen.getByTestId('bypass-copy-note').textContent?.trim()).toBe(en['bypass.copyNote']);
    await user.click(screen.getByTestId('bypass-copy'));
    await waitFor(() => expect(screen.getByTestId('bypass-copy-note').textContent?.trim()).toBe(en['bypass.copied']));
    expect(calls.map((c) => c.cmd)).toContain('copy_bypass_code');
  });

  it('hides Copy when copying is not allowed', async () => {
    backend({ ...INFO, copyAllowed: false }, { issue_bypass_code: () => ({ code: '123456789', expiresAt: soon() }) });
    signedIn('bypassCode');
    await screen.findByTestId('bypass-code');
    expect(screen.queryByTestId('bypass-copy')).toBeNull();
  });
});

describe('AddLandline', () => {
  it('calls, shows tries left, and returns to the number when the verification expired', async () => {
    let verifyCount = 0;
    const calls = backend(INFO, {
      add_landline: () => ({ id: 'p9', numberHint: '•••• 0142', expiresAt: soon(), delivery: 'voice_call' }),
      verify_landline: () => {
        verifyCount += 1;
        throw verifyCount === 1 ? err('code_incorrect', { attemptsLeft: 2 }) : err('verification_expired');
      },
    });
    const user = userEvent.setup();
    signedIn('addLandline');
    await user.type(await screen.findByTestId('landline-number'), '+1 555 010 0142');
    await user.type(input('landline-extension'), '42{Enter}');
    expect((await screen.findByTestId('landline-calling')).textContent).toBe('We are calling you at •••• 0142.');
    expect(calls.find((c) => c.cmd === 'add_landline')?.args).toEqual({ number: '+1 555 010 0142', extension: '42' });

    await user.type(input('landline-code'), '111111{Enter}');
    expect((await screen.findByTestId('error')).textContent).toContain('You have 2 tries left.');
    expect(input('landline-code').value).toBe('');
    expect(calls.find((c) => c.cmd === 'verify_landline')?.args).toEqual({ phoneId: 'p9', code: '111111' });

    await user.type(input('landline-code'), '222222{Enter}');
    await screen.findByTestId('landline-number');
    expect(screen.getByTestId('error').textContent).toContain(en['error.verification_expired.what']);
  });

  it('answer_call: "I answered" verifies with code null', async () => {
    const calls = backend(INFO, {
      add_landline: () => ({ id: 'p9', numberHint: '•••• 0142', expiresAt: soon(), delivery: 'answer_call' }),
      verify_landline: () => null,
    });
    const user = userEvent.setup();
    signedIn('addLandline');
    await user.type(await screen.findByTestId('landline-number'), '5550100142{Enter}');
    await user.click(await screen.findByTestId('landline-answered'));
    await screen.findByTestId('notice');
    expect(calls.find((c) => c.cmd === 'verify_landline')?.args).toEqual({ phoneId: 'p9', code: null });
    expect(calls.find((c) => c.cmd === 'add_landline')?.args).toEqual({ number: '5550100142', extension: null });
    expect(app.screen).toBe('devices');
  });
});

describe('RemoveDevice', () => {
  it('asks for a reason, then removes', async () => {
    const calls = backend(INFO, { remove_device: () => null });
    const user = userEvent.setup();
    app.deviceId = 'ph1';
    signedIn('removeDevice');
    await user.click(await screen.findByTestId('remove-confirm'));
    expect(calls.some((c) => c.cmd === 'remove_device')).toBe(false);
    await user.click(screen.getByTestId('remove-reason-stolen'));
    await user.click(screen.getByTestId('remove-confirm'));
    await screen.findByTestId('notice');
    expect(calls.find((c) => c.cmd === 'remove_device')?.args).toEqual({ deviceId: 'ph1', reason: 'stolen' });
  });
});

describe('PhoneApp', () => {
  it('shows the QR image for the chosen phone, and texts the link on request', async () => {
    const calls = backend(INFO, {
      show_activation_qr: () => ({ qrSvgDataUri: 'data:image/svg+xml;base64,PHN2Zy8+', expiresAt: soon() }),
      text_activation_link: () => ({ numberHint: '•••• 0100', expiresAt: soon() }),
    });
    const user = userEvent.setup();
    app.deviceId = 'ph1';
    signedIn('phoneApp');
    const img = (await screen.findByTestId('activation-qr')) as HTMLImageElement;
    expect(img.getAttribute('src')).toBe('data:image/svg+xml;base64,PHN2Zy8+');
    expect(img.getAttribute('alt')).toBe(en['phoneApp.qrAlt']);
    await user.click(screen.getByTestId('activation-sms'));
    expect((await screen.findByTestId('activation-sent')).textContent).toContain('•••• 0100');
    expect(calls.filter((c) => c.cmd !== 'app_info' && c.cmd !== 'ui_ready').map((c) => c.args)).toEqual([{ phoneId: 'ph1' }, { phoneId: 'ph1' }]);
  });
});

describe('Kiosk', () => {
  it('warns when idle, and clears everything at zero', async () => {
    const calls = backend({ ...INFO, kiosk: true, copyAllowed: false, kioskIdle: { warnAfterSeconds: 1, resetAfterSeconds: 1 } });
    signedIn('devices');
    await screen.findByTestId('idle-warning', {}, { timeout: 3000 });
    expect(screen.getByTestId('idle-stay')).toBeTruthy();
    await waitFor(() => expect(app.screen).toBe('start'), { timeout: 4000 });
    expect(app.session).toBeNull();
    expect(calls.some((c) => c.cmd === 'finish')).toBe(true);
    expect(screen.queryByTestId('idle-warning')).toBeNull();
  });

  it('blocks the context menu', async () => {
    backend({ ...INFO, kiosk: true });
    render(App);
    await screen.findByTestId('choice-new-phone');
    const ev = new MouseEvent('contextmenu', { bubbles: true, cancelable: true });
    document.body.dispatchEvent(ev);
    expect(ev.defaultPrevented).toBe(true);
    // Kiosk: "Finish and clear" is there even before sign-in.
    expect(screen.getByTestId('finish')).toBeTruthy();
  });
});
