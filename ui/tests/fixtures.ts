/** What the screen tests share: the start-up information, times and error shapes. */
import type { AppInfo } from '../src/lib/ipc';

/** A configured (not demo) desk with a help-desk phone; tests spread it to vary one field. */
export const INFO: AppInfo = {
  version: '0.1.0',
  demo: false,
  kiosk: false,
  organisation: { name: 'Example Corp', logoDataUri: null },
  helpDesk: { phone: '+1 555 010 0100', url: null, email: null },
  kioskIdle: { warnAfterSeconds: 60, resetAfterSeconds: 30 },
  locale: 'en',
  copyAllowed: true,
  mode: 'person',
};

/** An RFC 3339 time `ms` from now. */
export const soon = (ms = 600_000) => new Date(Date.now() + ms).toISOString();

/** An `AppError` as the Rust side rejects with. */
export const err = (code: string, extra: object = {}) => ({ code, field: null, retryAt: null, attemptsLeft: null, ...extra });
