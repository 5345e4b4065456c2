/**
 * The only door to the Rust side: one typed function per command of docs/ipc.md.
 *
 * Everything a command rejects with is normalised into an `AppError`, so screens handle one
 * shape. No secret is kept here: arguments go straight to `invoke` and are forgotten.
 */
import { Channel, invoke } from '@tauri-apps/api/core';

export type Locale = 'en' | 'es';

/** `person`: self-service recovery; `help_desk`: the agent console (docs/help-desk.md). */
export type AppMode = 'person' | 'help_desk';

export interface AppInfo {
  version: string;
  demo: boolean;
  kiosk: boolean;
  organisation: { name: string; logoDataUri: string | null };
  helpDesk: { phone: string | null; url: string | null; email: string | null };
  kioskIdle: { warnAfterSeconds: number; resetAfterSeconds: number };
  locale: Locale;
  copyAllowed: boolean;
  mode: AppMode;
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

// ---------------------------------------------------------------------------------------------
// Agent mode (docs/help-desk.md, "The app in agent mode"). The agent's token, the person's
// username and the caller verification's id stay in Rust; these are only what the screens show.
// ---------------------------------------------------------------------------------------------

export type HelpDeskPermission =
  | 'look_up'
  | 'verify_caller'
  | 'issue_bypass_code'
  | 'send_activation'
  | 'add_phone'
  | 'send_security_key_link'
  | 'register_security_key'
  | 'unlock_temporary'
  | 'unlock_daily'
  | 'clear_recovery_pin'
  | 'remove_device'
  | 'act_on_agents';

export type AgentRole = 'help_desk' | 'admin';

/** The signed-in agent; `expiresAt`: RFC 3339, the session is never extended. */
export interface AgentView {
  username: string;
  displayName: string;
  role: AgentRole;
  method: 'security_key' | 'passcode';
  permissions: HelpDeskPermission[];
  expiresAt: string;
  securityKeys: number;
}

export type LockKind = 'open' | 'temporary' | 'until_help_desk';

export interface RecentEvent {
  at: string;
  /** The audit event name (`session_opened`, `bypass_code_issued`…). */
  event: string;
  /** `success`, `failure` or `refused`. */
  outcome: string;
  client: string;
}

/** The person's record as an agent sees it: addresses and numbers masked. */
export interface PersonRecordView {
  username: string;
  displayName: string;
  notificationAddresses: string[];
  directoryPhones: string[];
  devices: Device[];
  lock: { state: LockKind; until: string | null; failuresLastDay: number };
  recoveryPinSet: boolean;
  isAgent: boolean;
  ownAccount: boolean;
  /** Newest first, at most 20. */
  recentEvents: RecentEvent[];
}

export type CallerMethod = 'sent_code' | 'date_of_birth_and_pin' | 'in_person';

/** Pending: `expiresAt` is when the sent code stops working; verified: when actions stop accepting it. */
export interface CallerCheckView {
  status: 'pending' | 'verified';
  method: CallerMethod;
  sentTo: string[];
  expiresAt: string;
}

export interface LinkSentView {
  sentTo: string[];
  expiresAt: string;
}

export interface UnlockedView {
  lifted: LockKind | 'none';
}

export interface RecoveryPinClearedView {
  cleared: boolean;
}

/** Which key signs the agent in or is registered at the desk: the plugged-in one, or the demo key. */
export type AgentKeySource = 'usb' | 'demo';

export type CallerCodeChannel = 'email' | 'text';
export type ActivationChannel = 'text' | 'email';
export type PhoneType = 'mobile' | 'landline';

function keyChannel(onEvent: (e: KeyEvent) => void): Channel<KeyEvent> {
  const channel = new Channel<KeyEvent>();
  channel.onmessage = onEvent;
  return channel;
}

export const agentBeginSignIn = (username: string, password: string) =>
  call<null>('agent_begin_sign_in', { username, password });

/** `passcode`: 6 digits from the agent's own device. */
export const agentSignInWithPasscode = (passcode: string) =>
  call<AgentView>('agent_sign_in_with_passcode', { passcode });

/** The key's PIN goes through `answerKeyPin`, the touch (demo key) through `touchDemoKey`. */
export const agentSignInWithKey = (source: AgentKeySource, onEvent: (e: KeyEvent) => void) =>
  call<AgentView>('agent_sign_in_with_key', { source, events: keyChannel(onEvent) });

export const agentSignOut = () => call<null>('agent_sign_out');

export const agentFindPerson = (username: string) =>
  call<PersonRecordView>('agent_find_person', { username });

export const agentSendCallerCode = (channel: CallerCodeChannel) =>
  call<CallerCheckView>('agent_send_caller_code', { channel });

export const agentCheckCallerCode = (code: string) =>
  call<CallerCheckView>('agent_check_caller_code', { code });

export const agentVerifyCallerPin = (dateOfBirth: string, pin: string) =>
  call<CallerCheckView>('agent_verify_caller_pin', { dateOfBirth, pin });

/** `idDocument`: which photo ID the agent saw (`passport`…), never its number. */
export const agentVerifyCallerInPerson = (idDocument: string) =>
  call<CallerCheckView>('agent_verify_caller_in_person', { idDocument });

/** `validMinutes`: null for the service's default. */
export const agentIssueBypassCode = (reason: string, validMinutes: number | null) =>
  call<BypassCodeView>('agent_issue_bypass_code', { reason, validMinutes });

export const agentSendActivation = (phoneId: string, channel: ActivationChannel, reason: string) =>
  call<LinkSentView>('agent_send_activation', { phoneId, channel, reason });

export const agentAddPhone = (number: string, extension: string | null, phoneType: PhoneType, reason: string) =>
  call<LandlineAdded>('agent_add_phone', { number, extension, phoneType, reason });

/** `code`: the 6 digits the call spoke, or null when the person answered and pressed a key. */
export const agentVerifyPhone = (phoneId: string, code: string | null) =>
  call<null>('agent_verify_phone', { phoneId, code });

/** `validHours`: null for the service's default (at most 24). */
export const agentSendKeyLink = (reason: string, validHours: number | null) =>
  call<LinkSentView>('agent_send_key_link', { reason, validHours });

export const agentRegisterKeyHere = (source: AgentKeySource, reason: string, onEvent: (e: KeyEvent) => void) =>
  call<Device>('agent_register_key_here', { source, reason, events: keyChannel(onEvent) });

export const agentUnlock = (reason: string) => call<UnlockedView>('agent_unlock', { reason });

export const agentClearRecoveryPin = (reason: string) =>
  call<RecoveryPinClearedView>('agent_clear_recovery_pin', { reason });

export const agentRemoveDevice = (deviceId: string, removalReason: RemoveReason, reason: string) =>
  call<null>('agent_remove_device', { deviceId, removalReason, reason });

/** Forgets the person and the caller verification (Rust side). */
export const agentEndCall = () => call<null>('agent_end_call');
