/** Pure formatting helpers, kept apart from components so they are tested directly. */

/** "123456789" → "123 456 789"; any other length is grouped by three from the left. */
export function groupDigits(code: string): string {
  const digits = code.replace(/\s+/g, '');
  return (digits.match(/.{1,3}/g) ?? []).join(' ');
}

/** Milliseconds left → "m:ss" (or "h:mm:ss"); never negative. */
export function formatCountdown(msLeft: number): string {
  const total = Math.max(0, Math.ceil(msLeft / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Milliseconds until an RFC 3339 instant; NaN-safe (an unparsable instant counts as past). */
export function msUntil(iso: string, now: number): number {
  const at = Date.parse(iso);
  return Number.isNaN(at) ? 0 : at - now;
}

/** Whole minutes until `iso`, rounded up, at least 1 while still in the future. */
export function minutesUntil(iso: string, now: number): number {
  const ms = msUntil(iso, now);
  return ms <= 0 ? 0 : Math.max(1, Math.ceil(ms / 60_000));
}

/** A local clock time ("14:05" / "2:05 PM"), with the date when it is not today. */
export function formatLocalTime(iso: string, locale: string, now: number): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return '';
  const sameDay = at.toDateString() === new Date(now).toDateString();
  const opts: Intl.DateTimeFormatOptions = sameDay
    ? { hour: 'numeric', minute: '2-digit' }
    : { dateStyle: 'medium', timeStyle: 'short' };
  return new Intl.DateTimeFormat(locale, opts).format(at);
}

/** A date-time for lists (demo inbox): short, local. */
export function formatDateTime(iso: string, locale: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'medium' }).format(at);
}

/** A calendar date ("10 Dec 2026"), local, for "set on …". */
export function formatDate(iso: string, locale: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(at);
}
