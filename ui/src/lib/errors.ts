/**
 * From an `AppError` to what the person reads: what happened, and what to do next.
 *
 * Every code the service (crates/recovery-api/src/problem.rs) or the app (docs/ipc.md) can
 * answer has its own pair of message keys `error.<code>.what` / `error.<code>.next` in every
 * locale (tests/errors.test.ts checks it). An unknown code reads like `internal`.
 *
 * A screen may name variants (agent mode: `agent`, `caller`, `lookUp`): a key
 * `error.<code>.<variant>.<part>` then wins over `error.<code>.<part>`, so the same code reads
 * right for whom it concerns ("No account has this username" rather than "that device").
 */
import { formatLocalTime, minutesUntil } from './format';
import { hasKey, type MessageKey, type Params } from './i18n.svelte';
import type { AppError } from './ipc';

/** The service's problem codes, in the order of `ErrorCode::ALL`. */
export const SERVICE_CODES = [
  'malformed_request',
  'invalid_field',
  'payload_too_large',
  'unsupported_media_type',
  'verification_failed',
  'too_many_attempts',
  'locked',
  'limit_reached',
  'session_invalid',
  'session_expired',
  'kiosk_credential_invalid',
  'enrollment_token_invalid',
  'phone_number_invalid',
  'phone_number_not_landline',
  'code_incorrect',
  'verification_expired',
  'activation_invalid',
  'registration_invalid',
  'security_key_rejected',
  'security_key_already_registered',
  'security_key_model_not_allowed',
  'resync_failed',
  'reverification_required',
  'not_found',
  'method_not_allowed',
  'unsupported',
  'service_misconfigured',
  'internal',
  'unavailable',
  'service_busy',
  'passcode_sign_in_required',
  'recovery_pin_too_simple',
  'date_of_birth_unknown',
  'permission_denied',
  'own_account',
  'caller_not_verified',
  'caller_verification_too_weak',
  'in_person_needs_kiosk',
  'enrolment_link_invalid',
] as const;

/** The app's own codes (docs/ipc.md). */
export const APP_CODES = [
  'service_unreachable',
  'invalid_input',
  'not_signed_in',
  'copy_not_allowed',
  'demo_only',
  'call_not_answered',
  'recovery_pin_mismatch',
  'key_not_found',
  'key_too_many',
  'key_no_permission',
  'key_pin_not_set',
  'key_pin_invalid',
  'key_pin_blocked_until_reinserted',
  'key_pin_blocked',
  'key_timeout',
  'key_busy',
  'key_cancelled',
  'key_already_registered',
  'key_model_not_allowed',
  'key_unsupported',
  'key_not_registered',
  'help_desk_only',
  'no_person',
  'internal',
] as const;

export const ALL_CODES: readonly string[] = [...new Set<string>([...SERVICE_CODES, ...APP_CODES])];

/** Codes after which the person must sign in again. */
// reverification_required too: the only way to verify again is to sign in again.
const SESSION_CODES = new Set([
  'session_expired',
  'session_invalid',
  'not_signed_in',
  'reverification_required',
]);

/** Codes after which the help desk is the only way forward, so its contact is shown inline. */
const HELP_DESK_CODES = new Set([
  'service_unreachable',
  'unavailable',
  'service_misconfigured',
  'internal',
  'kiosk_credential_invalid',
  'enrollment_token_invalid',
  'malformed_request',
  'payload_too_large',
  'unsupported_media_type',
  'method_not_allowed',
  'unsupported',
  'limit_reached',
  'date_of_birth_unknown',
  'key_no_permission',
  'key_pin_invalid',
  'key_pin_blocked',
  'key_model_not_allowed',
  'key_unsupported',
]);

/** Codes the person fixes by signing in again with a passcode (the screen offers the way). */
const PASSCODE_SIGN_IN_CODES = new Set(['passcode_sign_in_required']);

export interface Line {
  key: MessageKey;
  params?: Params;
}

export interface ErrorView {
  code: string;
  what: Line;
  next: Line;
  /** The input to focus (normalised to camelCase), for invalid_input / invalid_field. */
  field: string | null;
  /** Show the help-desk contact next to the message. */
  showHelpDesk: boolean;
  /** The screen must go back to SignIn. */
  signInAgain: boolean;
  /** Offer to sign in again with a passcode (a device's code or a bypass code). */
  offerPasscodeSignIn: boolean;
}

export function isSessionError(code: string): boolean {
  return SESSION_CODES.has(code);
}

/** `date_of_birth` / `dateOfBirth` / `body.date_of_birth` → `dateOfBirth`. */
export function normaliseField(field: string | null): string | null {
  if (!field) return null;
  const last = field.split(/[./]/).filter(Boolean).pop() ?? field;
  return last.replace(/[_-]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function key(code: string, part: string, variants: readonly string[] = []): MessageKey | null {
  for (const v of variants) {
    const k = `error.${code}.${v}.${part}`;
    if (hasKey(k)) return k;
  }
  const k = `error.${code}.${part}`;
  return hasKey(k) ? k : null;
}

/**
 * Builds the view of an error at `now` in `locale` (for the retry time).
 * Variants: a retry time for too_many_attempts/locked/limit_reached, the tries left for code_incorrect.
 */
export function describeError(
  err: AppError,
  now: number,
  locale: string,
  variants: readonly string[] = [],
): ErrorView {
  const code = key(err.code, 'what') ? err.code : 'internal';
  const what: Line = { key: key(code, 'what', variants) as MessageKey };
  let next: Line = { key: key(code, 'next', variants) as MessageKey };

  if ((code === 'too_many_attempts' || code === 'locked' || code === 'limit_reached') && err.retryAt) {
    const minutes = minutesUntil(err.retryAt, now);
    if (minutes > 0) {
      next = {
        key: key(code, 'nextAt', variants) as MessageKey,
        params: { time: formatLocalTime(err.retryAt, locale, now), minutes },
      };
    } else {
      next = { key: 'error.retryNow' };
    }
  }
  if (code === 'key_pin_invalid' && err.attemptsLeft !== null) {
    next = {
      key: err.attemptsLeft === 1 ? 'error.key_pin_invalid.nextOne' : 'error.key_pin_invalid.nextMany',
      params: { count: err.attemptsLeft },
    };
  }
  if (code === 'code_incorrect' && err.attemptsLeft !== null) {
    next = {
      key: err.attemptsLeft === 1 ? 'error.code_incorrect.nextOne' : 'error.code_incorrect.nextMany',
      params: { count: err.attemptsLeft },
    };
  }

  return {
    code,
    what,
    next,
    field: fieldOf(code, err.field),
    showHelpDesk: HELP_DESK_CODES.has(code) || (code === 'locked' && !err.retryAt),
    signInAgain: isSessionError(code),
    offerPasscodeSignIn: PASSCODE_SIGN_IN_CODES.has(code),
  };
}

/** The input an error is about: the one it names, or the new PIN when the PIN was refused. */
function fieldOf(code: string, field: string | null): string | null {
  if (code === 'invalid_input' || code === 'invalid_field' || code === 'recovery_pin_mismatch') {
    return normaliseField(field);
  }
  return code === 'recovery_pin_too_simple' ? 'pin' : null;
}
