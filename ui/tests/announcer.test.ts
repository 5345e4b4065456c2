/** The live regions: a progress message and an error given together are both announced. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { announce, announceError, clearAnnouncements, live } from '../src/lib/announcer.svelte';

afterEach(() => {
  clearAnnouncements();
  vi.useRealTimers();
});

describe('announcer', () => {
  it('keeps a polite and an assertive message given in the same tick', () => {
    vi.useFakeTimers();
    announce('Touch your key');
    announceError('The key was not touched in time.');
    vi.advanceTimersByTime(60);
    expect(live.polite).toBe('Touch your key');
    expect(live.assertive).toBe('The key was not touched in time.');
  });

  it('the later message of one region replaces the earlier one', () => {
    vi.useFakeTimers();
    announce('one');
    announce('two');
    vi.advanceTimersByTime(60);
    expect(live.polite).toBe('two');
    clearAnnouncements();
    expect(live).toEqual({ polite: '', assertive: '' });
  });
});
