/** The security-key screen with the IPC mocked: the ceremony's events drive its steps. */
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import App from '../src/App.svelte';
import en from '../src/locales/en.json';
import { setLocale } from '../src/lib/i18n.svelte';
import type { AppInfo, Device, KeyEvent } from '../src/lib/ipc';
import { err, INFO as BASE, soon } from './fixtures';
import { nextPhase, type KeyPhase } from '../src/lib/keyCeremony';
import { app, reset } from '../src/lib/state.svelte';

const INFO: AppInfo = { ...BASE, demo: true };
const KEY: Device = {
  id: 'sk1',
  kind: 'security_key',
  name: 'Demo security key',
  status: 'active',
  phone: null,
  createdAt: null,
};

/** A ceremony the test plays: `emit` sends an event, `end` settles `start_security_key`. */
interface Ceremony {
  emit(e: KeyEvent): void;
  end(outcome: { device: Device } | { error: object }): void;
  calls: { cmd: string; args: Record<string, unknown> }[];
}

function ceremony(info: AppInfo = INFO, onAnswer?: (emit: (e: KeyEvent) => void) => void): Ceremony {
  const calls: Ceremony['calls'] = [];
  let onEvent: ((e: KeyEvent) => void) | null = null;
  let settle: ((o: { device: Device } | { error: object }) => void) | null = null;
  mockIPC((cmd, raw) => {
    const args = (raw ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    switch (cmd) {
      case 'app_info':
        return info;
      case 'list_devices':
        return [KEY];
      case 'start_security_key': {
        onEvent = (args.onEvent as { onmessage: (e: KeyEvent) => void }).onmessage;
        return new Promise((resolve, reject) => {
          settle = (o) => ('device' in o ? resolve(o.device) : reject(o.error));
        });
      }
      case 'answer_key_pin':
        // The key may answer before the command does.
        if (onAnswer && onEvent) onAnswer(onEvent);
        return null;
      case 'cancel_security_key':
        return null;
      case 'touch_demo_key':
        return true;
      case 'rename_device':
        return { ...KEY, name: args.name };
      default:
        throw err('internal');
    }
  });
  return {
    calls,
    emit: (e) => onEvent?.(e),
    end: (o) => settle?.(o),
  };
}

function onSecurityKeyScreen() {
  app.session = { displayName: 'Ada', expiresAt: soon() };
  app.devices = [];
  app.screen = 'securityKey';
  render(App);
}

beforeEach(() => {
  app.info = null;
  reset();
  setLocale('en');
});
afterEach(() => clearMocks());

describe('key ceremony steps', () => {
  const run = (events: KeyEvent[]): KeyPhase =>
    events.reduce<KeyPhase>((phase, e) => nextPhase(phase, e), { step: 'working' });

  it('a wrong PIN stays wrong until the next prompt, with the new count', () => {
    expect(run([{ event: 'pinNeeded', retriesLeft: 8 }])).toEqual({ step: 'pin', retriesLeft: 8, wrong: false });
    expect(
      run([
        { event: 'pinNeeded', retriesLeft: 8 },
        { event: 'pinWrong', retriesLeft: 7 },
        { event: 'pinNeeded', retriesLeft: 7 },
      ]),
    ).toEqual({ step: 'pin', retriesLeft: 7, wrong: true });
  });

  it('keeps the PIN form while the key reports that it is busy, and asks to remove extra keys', () => {
    const pin: KeyPhase = { step: 'newPin', minLength: 6, rejected: null };
    expect(nextPhase(pin, { event: 'processing' })).toBe(pin);
    expect(nextPhase({ step: 'working' }, { event: 'tooManyKeys', count: 2 })).toEqual({ step: 'waiting', tooMany: 2 });
    expect(nextPhase(pin, { event: 'pinSetupRejected', reason: { rule: 'keyPolicy' } })).toEqual({
      step: 'newPin',
      minLength: 6,
      rejected: { rule: 'keyPolicy' },
    });
  });
});

describe('SecurityKey screen', () => {
  it('demo key: first PIN typed twice, touch, then named; the PIN goes to Rust once, as typed', async () => {
    const c = ceremony();
    const user = userEvent.setup();
    onSecurityKeyScreen();
    await user.click(await screen.findByTestId('security-key-demo'));
    expect(c.calls.find((x) => x.cmd === 'start_security_key')?.args.source).toBe('demo');

    c.emit({ event: 'waitingForKey' });
    expect(await screen.findByTestId('key-waiting')).toBeTruthy();
    c.emit({ event: 'keyFound', model: 'Demo security key', aaguid: null, pin: { state: 'notSet' }, minPinLength: 6 });
    c.emit({ event: 'pinSetupNeeded', minLength: 6 });
    await screen.findByTestId('key-new-pin');
    expect(screen.getByTestId('key-model').textContent).toContain('Demo security key');

    // Too short, then two different PINs: refused here, nothing sent.
    await user.type(screen.getByTestId('key-new-pin'), '123');
    await user.click(screen.getByTestId('key-new-pin-submit'));
    expect(screen.getByTestId('key-new-pin-error').textContent).toBe('The PIN needs at least 6 characters.');
    await user.type(screen.getByTestId('key-new-pin'), '482913');
    await user.type(screen.getByTestId('key-new-pin-confirm'), '482914');
    await user.click(screen.getByTestId('key-new-pin-submit'));
    expect(screen.getByTestId('key-new-pin-confirm-error').textContent).toBe(en['validation.keyPin.mismatch']);
    expect(c.calls.some((x) => x.cmd === 'answer_key_pin')).toBe(false);

    await user.type(screen.getByTestId('key-new-pin-confirm'), '482913');
    await user.click(screen.getByTestId('key-new-pin-submit'));
    await waitFor(() => expect(c.calls.filter((x) => x.cmd === 'answer_key_pin')).toHaveLength(1));
    expect(c.calls.find((x) => x.cmd === 'answer_key_pin')?.args).toEqual({ pin: '482913', newPin: true });

    c.emit({ event: 'touchNeeded' });
    await user.click(await screen.findByTestId('key-demo-touch'));
    expect(c.calls.some((x) => x.cmd === 'touch_demo_key')).toBe(true);

    c.end({ device: KEY });
    const name = (await screen.findByTestId('key-name')) as HTMLInputElement;
    expect(name.value).toBe('Demo security key');
    await user.clear(name);
    await user.type(name, 'Blue key on my keyring');
    await user.click(screen.getByTestId('key-name-save'));
    await waitFor(() => expect(app.screen).toBe('devices'));
    expect(c.calls.find((x) => x.cmd === 'rename_device')?.args).toEqual({ deviceId: 'sk1', name: 'Blue key on my keyring' });
    expect(app.done).toContain('securityKey');
    // Nothing of the PIN stayed in the web view's state.
    expect(JSON.stringify(app)).not.toContain('482913');
  });

  it('a wrong PIN shows the tries left and warns near the end', async () => {
    const c = ceremony();
    const user = userEvent.setup();
    onSecurityKeyScreen();
    await user.click(await screen.findByTestId('security-key-start'));
    c.emit({ event: 'pinNeeded', retriesLeft: 3 });
    expect((await screen.findByTestId('key-pin-tries')).textContent).toBe('3 tries left before the key locks.');
    await user.type(screen.getByTestId('key-pin'), '000000');
    await user.click(screen.getByTestId('key-pin-submit'));
    await waitFor(() => expect(c.calls.find((x) => x.cmd === 'answer_key_pin')?.args).toEqual({ pin: '000000', newPin: false }));
    c.emit({ event: 'pinWrong', retriesLeft: 2 });
    c.emit({ event: 'pinNeeded', retriesLeft: 2 });
    expect((await screen.findByTestId('key-pin-wrong')).textContent).toContain('2 tries left');
    expect(screen.getByTestId('key-pin-last-warning')).toBeTruthy();
    expect((screen.getByTestId('key-pin') as HTMLInputElement).value).toBe('');
  });

  it('events that arrive before answer_key_pin returns are not lost', async () => {
    const c = ceremony(INFO, (emit) => {
      emit({ event: 'pinWrong', retriesLeft: 6 });
      emit({ event: 'pinNeeded', retriesLeft: 6 });
    });
    const user = userEvent.setup();
    onSecurityKeyScreen();
    await user.click(await screen.findByTestId('security-key-start'));
    c.emit({ event: 'pinNeeded', retriesLeft: 7 });
    await user.type(await screen.findByTestId('key-pin'), '111111');
    await user.click(screen.getByTestId('key-pin-submit'));
    expect((await screen.findByTestId('key-pin-wrong')).textContent).toContain('6 tries left');
  });

  it('an empty PIN is refused here', async () => {
    const c = ceremony();
    const user = userEvent.setup();
    onSecurityKeyScreen();
    await user.click(await screen.findByTestId('security-key-start'));
    c.emit({ event: 'pinNeeded', retriesLeft: 8 });
    await user.click(await screen.findByTestId('key-pin-submit'));
    expect(screen.getByTestId('key-pin-error').textContent).toBe(en['validation.keyPin.required']);
    expect(c.calls.some((x) => x.cmd === 'answer_key_pin')).toBe(false);
  });

  it('says "no permission" with the fix and the help desk, and offers to try again', async () => {
    const c = ceremony({ ...INFO, demo: false });
    const user = userEvent.setup();
    onSecurityKeyScreen();
    expect(screen.queryByTestId('security-key-demo')).toBeNull();
    await user.click(await screen.findByTestId('security-key-start'));
    expect(c.calls.find((x) => x.cmd === 'start_security_key')?.args.source).toBe('plugged');
    c.end({ error: err('key_no_permission') });
    expect((await screen.findByTestId('error')).textContent).toContain(en['error.key_no_permission.what']);
    expect(screen.getByTestId('error-help-desk')).toBeTruthy();
    await user.click(screen.getByTestId('key-retry'));
    expect(c.calls.filter((x) => x.cmd === 'start_security_key')).toHaveLength(2);
  });

  it('the last try is never spent: the error says why and what to do', async () => {
    const c = ceremony();
    const user = userEvent.setup();
    onSecurityKeyScreen();
    await user.click(await screen.findByTestId('security-key-demo'));
    c.end({ error: err('key_pin_invalid', { attemptsLeft: 1 }) });
    expect((await screen.findByTestId('error')).textContent).toContain(en['error.key_pin_invalid.nextOne']);
  });

  it('Cancel stops the key and goes back to the start, changing nothing', async () => {
    const c = ceremony();
    const user = userEvent.setup();
    onSecurityKeyScreen();
    await user.click(await screen.findByTestId('security-key-demo'));
    c.emit({ event: 'touchNeeded' });
    await user.click(await screen.findByTestId('key-cancel'));
    expect(c.calls.some((x) => x.cmd === 'cancel_security_key')).toBe(true);
    c.end({ error: err('key_cancelled') });
    expect(await screen.findByTestId('security-key-demo')).toBeTruthy();
    expect(screen.queryByTestId('error')).toBeNull();
  });

  it('leaving the screen mid-ceremony cancels it', async () => {
    const c = ceremony();
    const user = userEvent.setup();
    onSecurityKeyScreen();
    await user.click(await screen.findByTestId('security-key-demo'));
    c.emit({ event: 'waitingForKey' });
    await screen.findByTestId('key-waiting');
    app.screen = 'devices';
    await waitFor(() => expect(c.calls.some((x) => x.cmd === 'cancel_security_key')).toBe(true));
  });
});
