/**
 * Checks run before anything is sent to Rust, so the person gets an answer at once and no
 * attempt is spent (and counted by the service's throttle) on a value that cannot be right.
 *
 * Each check answers either the cleaned value to send or the message key to show inline.
 * The Rust side checks again; these rules mirror docs/ipc.md.
 */
import type { MessageKey } from './i18n.svelte';

export type Checked<T = string> = { ok: true; value: T } | { ok: false, error: MessageKey };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const bad = <T = string>(error: MessageKey): Checked<T> => ({ ok: false, error });

/** Spaces (and non-breaking spaces) people type between digit groups. */
const stripSpaces = (v: string) => v.replace(/[\s\u00a0]+/g, '');

export function checkUsername(v: string): Checked {
  const value = v.trim();
  return value === '' ? bad('validation.username.required') : ok(value);
}

/** Sent exactly as typed: a password may start or end with a space. */
export function checkPassword(v: string): Checked {
  return v === '' ? bad('validation.password.required') : ok(v);
}

function todayIso(now: Date): string {
  const y = now.getFullYear();
  const m = String(now.getMonth() + 1).padStart(2, '0');
  const d = String(now.getDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}

/** YYYY-MM-DD, a real calendar date, not in the future, not before 1900. */
export function checkDateOfBirth(v: string, now: Date = new Date()): Checked {
  const value = v.trim();
  if (value === '') return bad('validation.dateOfBirth.required');
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return bad('validation.dateOfBirth.format');
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  const real =
    date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
  if (!real || y < 1900) return bad('validation.dateOfBirth.invalid');
  // ISO strings of equal length compare like dates.
  if (value > todayIso(now)) return bad('validation.dateOfBirth.future');
  return ok(value);
}

export function checkPin(v: string): Checked {
  const value = v.trim();
  if (value === '') return bad('validation.pin.required');
  return /^\d{4,12}$/.test(value) ? ok(value) : bad('validation.pin.format');
}

export interface NewPinCheck {
  pin: MessageKey | null;
  confirmation: MessageKey | null;
  /** The PIN to send (with its confirmation) when both inputs are fine. */
  value: string | null;
}

/**
 * A new recovery PIN typed twice: `min`–`max` digits (the organisation's policy, from
 * recovery_pin_status), and the same twice. Rust compares the two again; the service judges
 * whether it is too easy to guess.
 */
export function checkNewRecoveryPin(pin: string, confirmation: string, min: number, max: number): NewPinCheck {
  const value = pin.trim();
  const again = confirmation.trim();
  let pinError: MessageKey | null = null;
  if (value === '') pinError = 'validation.newPin.required';
  else if (!/^\d+$/.test(value)) pinError = 'validation.newPin.digits';
  else if (value.length < min || value.length > max) pinError = 'validation.newPin.length';
  let confirmationError: MessageKey | null = null;
  if (again === '') confirmationError = 'validation.newPin.confirmRequired';
  else if (pinError === null && again !== value) confirmationError = 'validation.newPin.mismatch';
  const fine = pinError === null && confirmationError === null;
  return { pin: pinError, confirmation: confirmationError, value: fine ? value : null };
}

/** 6 or 9 digits; spaces allowed ("123 456 789") and stripped. */
export function checkPasscode(v: string): Checked {
  const value = stripSpaces(v);
  if (value === '') return bad('validation.passcode.required');
  return /^(\d{6}|\d{9})$/.test(value) ? ok(value) : bad('validation.passcode.format');
}

/** Digits, spaces and + ( ) - . only; 7–20 digits. Sent as typed (trimmed): Rust normalises. */
export function checkPhoneNumber(v: string): Checked {
  const value = v.trim();
  if (value === '') return bad('validation.phone.required');
  if (!/^[0-9\s+().\-]+$/.test(value)) return bad('validation.phone.characters');
  const digits = value.replace(/\D/g, '').length;
  return digits >= 7 && digits <= 20 ? ok(value) : bad('validation.phone.length');
}

/** Optional: empty → null; otherwise 1–10 digits. */
export function checkExtension(v: string): Checked<string | null> {
  const value = v.trim();
  if (value === '') return ok(null);
  return /^\d{1,10}$/.test(value) ? ok(value) : bad('validation.extension.format');
}

/** The 6 digits a call spoke; spaces stripped. */
export function checkSixDigitCode(v: string): Checked {
  const value = stripSpaces(v);
  if (value === '') return bad('validation.code.required');
  return /^\d{6}$/.test(value) ? ok(value) : bad('validation.code.format');
}

export interface ResyncCheck {
  /** One entry per input: its message key, or null when fine. */
  errors: (MessageKey | null)[];
  /** The codes to send, in order, when every input is fine. */
  codes: string[] | null;
}

/** Two required codes and an optional third, 6 digits each, consecutive as typed. */
export function checkResyncCodes(inputs: readonly string[]): ResyncCheck {
  const errors: (MessageKey | null)[] = [];
  const codes: string[] = [];
  inputs.slice(0, 3).forEach((raw, i) => {
    const value = stripSpaces(raw);
    if (value === '' && i === 2) {
      errors.push(null);
      return;
    }
    const c = checkSixDigitCode(value);
    errors.push(c.ok ? null : c.error);
    if (c.ok) codes.push(c.value);
  });
  while (errors.length < 2) errors.push('validation.code.required');
  const fine = errors.every((e) => e === null) && codes.length >= 2;
  return { errors, codes: fine ? codes : null };
}

/**
 * Control characters, the marks that reorder text (U+202E shows "gpj.exe" as "exe.jpg") and
 * line or paragraph separators: the service refuses them in a device name (fields.rs
 * normalize_device_name).
 */
const UNSAFE_IN_NAME = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u;

/** A device name: 1 to 64 characters, trimmed, none of the characters above. */
export function checkDeviceName(v: string): Checked {
  // Before trimming: trim() would drop U+2028 and U+2029 at either end unseen.
  if (UNSAFE_IN_NAME.test(v)) return bad('validation.keyName.characters');
  const value = v.trim();
  if (value === '') return bad('validation.keyName.required');
  if ([...value].length > 64) return bad('validation.keyName.length');
  return ok(value);
}

/** Line breaks, other control characters and line or paragraph separators. */
const NOT_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/**
 * Agent mode: why the agent acts (a ticket number, "lost phone"), for the audit record. 1 to 200
 * characters after trimming, on one line, as the service checks it (docs/help-desk.md).
 */
export function checkReason(v: string): Checked {
  const value = v.trim();
  if (value === '') return bad('validation.hdReason.required');
  if (NOT_ONE_LINE.test(value)) return bad('validation.hdReason.oneLine');
  if ([...value].length > 200) return bad('validation.hdReason.length');
  return ok(value);
}

/** Optional whole number from `min` to `max` (empty → null: the service's default). */
function checkOptionalWhole(v: string, min: number, max: number, error: MessageKey): Checked<number | null> {
  const value = v.trim();
  if (value === '') return ok(null);
  if (!/^\d{1,5}$/.test(value)) return bad(error);
  const n = Number(value);
  return n >= min && n <= max ? ok(n) : bad(error);
}

/** A help-desk bypass code's life: empty for the default, else 1 to 480 minutes. */
export function checkValidMinutes(v: string): Checked<number | null> {
  return checkOptionalWhole(v, 1, 480, 'validation.hdValidMinutes.range');
}

/** A security-key link's life: empty for the default, else 1 to 24 hours. */
export function checkValidHours(v: string): Checked<number | null> {
  return checkOptionalWhole(v, 1, 24, 'validation.hdValidHours.range');
}
