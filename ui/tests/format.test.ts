import { describe, expect, it } from 'vitest';
import {
  formatCountdown,
  formatLocalTime,
  groupDigits,
  minutesUntil,
  msUntil,
} from '../src/lib/format';

describe('groupDigits', () => {
  it('groups a bypass code 3-3-3', () => {
    expect(groupDigits('123456789')).toBe('123 456 789');
    expect(groupDigits('123 45 6789')).toBe('123 456 789');
    expect(groupDigits('123456')).toBe('123 456');
    expect(groupDigits('')).toBe('');
  });
});

describe('formatCountdown', () => {
  it('shows m:ss, rounding up partial seconds', () => {
    expect(formatCountdown(600_000)).toBe('10:00');
    expect(formatCountdown(599_001)).toBe('10:00');
    expect(formatCountdown(599_000)).toBe('9:59');
    expect(formatCountdown(61_000)).toBe('1:01');
    expect(formatCountdown(9_000)).toBe('0:09');
    expect(formatCountdown(1)).toBe('0:01');
  });
  it('never goes negative', () => {
    expect(formatCountdown(0)).toBe('0:00');
    expect(formatCountdown(-5000)).toBe('0:00');
  });
  it('shows hours when needed', () => {
    expect(formatCountdown(3_600_000 + 65_000)).toBe('1:01:05');
  });
});

describe('time until', () => {
  const now = Date.parse('2026-05-20T10:00:00Z');
  it('counts milliseconds and whole minutes, rounding up', () => {
    expect(msUntil('2026-05-20T10:00:30Z', now)).toBe(30_000);
    expect(msUntil('not a date', now)).toBe(0);
    expect(minutesUntil('2026-05-20T10:00:30Z', now)).toBe(1);
    expect(minutesUntil('2026-05-20T10:14:01Z', now)).toBe(15);
    expect(minutesUntil('2026-05-20T09:59:00Z', now)).toBe(0);
  });
  it('formats a local clock time, with the date when not today', () => {
    const at = new Date(now + 15 * 60_000).toISOString();
    const text = formatLocalTime(at, 'en', now);
    expect(text).toMatch(/\d{1,2}:\d{2}/);
    const tomorrow = new Date(now + 36 * 3_600_000).toISOString();
    expect(formatLocalTime(tomorrow, 'en', now)).toMatch(/2026/);
    expect(formatLocalTime('garbage', 'en', now)).toBe('');
  });
});
