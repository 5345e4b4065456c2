/**
 * The only door to the Rust side: one typed function per command of docs/ipc.md.
 *
 * Everything a command rejects with is normalised into an `AppError`, so screens handle one
 * shape. No secret is kept here: arguments go straight to `invoke` and are forgotten.
 */
import { Channel, invoke } from '@tauri-apps/api/core';

export type Locale = 'en' | 'es';

export interface AppInfo {
  version: string;
  demo: boolean;
  kiosk: boolean;
  organisation: { name: string; logoDataUri: string | null };
  helpDesk: { phone: string | null; url: string | null; email: string | null };
  kioskIdle: { warnAfterSeconds: number; resetAfterSeconds: number };
  locale: Locale;
  copyAllowed: boolean;
}

/** RFC 3339 `expiresAt`. */
export interface SessionView {
  displayName: string;
  expiresAt: string;
}

export type DeviceKind = 'phone' | 'security_key' | 'hardware_token';
export type DeviceStatus = 'active' | 'pending' | 'disabled';

export interface PhoneInfo {
  numberHint: string;
  phoneType: 'mobile' | 'landline';
  platform: string | null;
  appActivated: boolean;
}

export interface Device {
  id: string;
  kind: DeviceKind;
  name: string;
  status: DeviceStatus;
  phone: PhoneInfo | null;
  createdAt: string | null;
}

/** `code`: 9 digits. */
export interface BypassCodeView {
  code: string;
  expiresAt: string;
}

export type LandlineDelivery = 'voice_call' | 'answer_call';

export interface LandlineAdded {
  id: string;
  numberHint: string;
  expiresAt: string;
  delivery: LandlineDelivery;
}

export interface ActivationQr {
  qrSvgDataUri: string;
  expiresAt: string;
}

export interface ActivationSent {
  numberHint: string;
  expiresAt: string;
}

export interface OutboxMessage {
  id: number;
  channel: 'email' | 'sms' | 'voice';
  to: string;
  subject: string | null;
  body: string;
  createdAt: string;
}

/** Whether a recovery PIN is set; `canSet`: this session (opened with a passcode) may set it. */
export interface RecoveryPinStatus {
  set: boolean;
  setAt: string | null;
  canSet: boolean;
  minDigits: number;
  maxDigits: number;
}

/** `changed`: it replaced an earlier PIN. The PIN itself never comes back. */
export interface RecoveryPinSet {
  changed: boolean;
  setAt: string;
}

export type RemoveReason = 'lost' | 'stolen' | 'replaced';

/** The wire shape of an error, as the Rust side serialises it. */
export interface AppErrorData {
  code: string;
  field: string | null;
  retryAt: string | null;
  attemptsLeft: number | null;
}

/** Every rejected command becomes one of these; `code` drives the message (see errors.ts). */
export class AppError extends Error implements AppErrorData {
  readonly code: string;
  readonly field: string | null;
  readonly retryAt: string | null;
  readonly attemptsLeft: number | null;

  constructor(data: Partial<AppErrorData> & { code: string }) {
    super(data.code);
    this.name = 'AppError';
    this.code = data.code;
    this.field = data.field ?? null;
    this.retryAt = data.retryAt ?? null;
    this.attemptsLeft = data.attemptsLeft ?? null;
  }
}

const CODE_PATTERN = /^[a-z][a-z0-9_]*$/;

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/**
 * Turns whatever `invoke` rejected with into an `AppError`. Tauri rejects with the serialised
 * value (an object); a bare string or a JS exception (IPC not available) becomes `internal`
 * unless it is itself a code, and nothing of an unknown message is ever shown.
 */
export function toAppError(raw: unknown): AppError {
  if (raw instanceof AppError) return raw;
  if (typeof raw === 'string') {
    try {
      return toAppError(JSON.parse(raw));
    } catch {
      return new AppError({ code: CODE_PATTERN.test(raw) ? raw : 'internal' });
    }
  }
  if (raw !== null && typeof raw === 'object' && !(raw instanceof Error)) {
    const o = raw as Record<string, unknown>;
    const code = str(o.code);
    if (code !== null && CODE_PATTERN.test(code)) {
      const attempts = o.attemptsLeft ?? o.attempts_left;
      return new AppError({
        code,
        field: str(o.field),
        retryAt: str(o.retryAt ?? o.retry_at),
        attemptsLeft: typeof attempts === 'number' && Number.isFinite(attempts) ? attempts : null,
      });
    }
  }
  return new AppError({ code: 'internal' });
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (raw) {
    throw toAppError(raw);
  }
}

export const appInfo = () => call<AppInfo>('app_info');

export const beginSignIn = (username: string, password: string) =>
  call<null>('begin_sign_in', { username, password });

/** `dateOfBirth`: YYYY-MM-DD; `pin`: 4–12 digits. */
export const verifyPin = (dateOfBirth: string, pin: string) =>
  call<SessionView>('verify_pin', { dateOfBirth, pin });

/** `passcode`: 6 or 9 digits, spaces already stripped. */
export const verifyPasscode = (passcode: string) =>
  call<SessionView>('verify_passcode', { passcode });

export const listDevices = () => call<Device[]>('list_devices');

export const issueBypassCode = () => call<BypassCodeView>('issue_bypass_code');

export const copyBypassCode = () => call<null>('copy_bypass_code');

export const addLandline = (number: string, extension: string | null) =>
  call<LandlineAdded>('add_landline', { number, extension });

/** `code`: 6 digits, or null for the `answer_call` delivery. */
export const verifyLandline = (phoneId: string, code: string | null) =>
  call<null>('verify_landline', { phoneId, code });

export const showActivationQr = (phoneId: string) =>
  call<ActivationQr>('show_activation_qr', { phoneId });

export const textActivationLink = (phoneId: string) =>
  call<ActivationSent>('text_activation_link', { phoneId });

export const removeDevice = (deviceId: string, reason: RemoveReason) =>
  call<null>('remove_device', { deviceId, reason });

/** `codes`: 2 or 3 consecutive 6-digit codes, in order. */
export const resyncToken = (deviceId: string, codes: string[]) =>
  call<null>('resync_token', { deviceId, codes });

export const finish = () => call<null>('finish');

export const demoInbox = () => call<OutboxMessage[]>('demo_inbox');

/** Which key to register: the one plugged in, or demo mode's software key. */
export type KeySource = 'plugged' | 'demo';

/** What the key says about its PIN, before anything is sent to it. */
export type KeyPinState =
  | { state: 'notSet' }
  | { state: 'set'; retriesLeft: number | null; blockedUntilReinserted: boolean }
  | { state: 'builtInUv' }
  | { state: 'unsupported' };

/** Why a new PIN was refused. */
export type PinRule =
  | { rule: 'tooShort'; minLength: number }
  | { rule: 'tooLong' }
  | { rule: 'containsNull' }
  | { rule: 'keyPolicy' };

/** What the key ceremony asks the screen to show, in order (Rust `KeyEvent`). */
export type KeyEvent =
  | { event: 'waitingForKey' }
  | { event: 'tooManyKeys'; count: number }
  | { event: 'keyFound'; model: string; aaguid: string | null; pin: KeyPinState; minPinLength: number }
  | { event: 'pinSetupNeeded'; minLength: number }
  | { event: 'pinSetupRejected'; reason: PinRule }
  | { event: 'pinNeeded'; retriesLeft: number | null }
  | { event: 'pinWrong'; retriesLeft: number }
  | { event: 'touchNeeded' }
  | { event: 'processing' };

/**
 * Registers a security key: resolves with the new device (named after the key's model), or
 * rejects with a `key_*` code. Meanwhile `onEvent` gets every step to show.
 */
export function startSecurityKey(source: KeySource, onEvent: (e: KeyEvent) => void): Promise<Device> {
  const channel = new Channel<KeyEvent>();
  channel.onmessage = onEvent;
  return call<Device>('start_security_key', { source, onEvent: channel });
}

/** The PIN typed at the key's prompt; `newPin` when it sets the key's first PIN. */
export const answerKeyPin = (pin: string, newPin: boolean) =>
  call<null>('answer_key_pin', { pin, newPin });

export const cancelSecurityKey = () => call<null>('cancel_security_key');

/** Demo mode: "touch" the demo key. */
export const touchDemoKey = () => call<boolean>('touch_demo_key');

/** `name`: 1–64 characters. */
export const renameDevice = (deviceId: string, name: string) =>
  call<Device>('rename_device', { deviceId, name });

export const recoveryPinStatus = () => call<RecoveryPinStatus>('recovery_pin_status');

/** The new PIN typed twice; Rust compares them (`recovery_pin_mismatch`) before sending. */
export const setRecoveryPin = (pin: string, confirmation: string) =>
  call<RecoveryPinSet>('set_recovery_pin', { pin, confirmation });

/** The first screen is rendered: the shell logs the start-up time (`cargo xtask bench app`). */
export function uiReady(): Promise<void> {
  return invoke('ui_ready');
}
