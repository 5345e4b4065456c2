import { beforeEach, describe, expect, it } from 'vitest';
import { IdleWatcher, type Clock } from '../src/lib/idle';

/** A clock whose time moves only when the test says so. */
class FakeClock implements Clock {
  time = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  now = () => this.time;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.timers.delete(h as number);
  };
  advance(ms: number) {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = end;
  }
  get pending() {
    return this.timers.size;
  }
}

describe('IdleWatcher', () => {
  let clock: FakeClock;
  let warns: number[];
  let stays: number;
  let resets: number;
  let watcher: IdleWatcher;

  beforeEach(() => {
    clock = new FakeClock();
    warns = [];
    stays = 0;
    resets = 0;
    watcher = new IdleWatcher({
      warnAfterMs: 60_000,
      resetAfterMs: 30_000,
      clock,
      onWarn: (s) => warns.push(s),
      onStay: () => stays++,
      onReset: () => resets++,
    });
    watcher.start();
  });

  it('warns after the quiet time and counts down each second', () => {
    clock.advance(59_999);
    expect(warns).toEqual([]);
    expect(watcher.phase).toBe('watching');
    clock.advance(1);
    expect(watcher.phase).toBe('warning');
    expect(warns).toEqual([30]);
    clock.advance(3_000);
    expect(warns).toEqual([30, 29, 28, 27]);
  });

  it('activity pushes the warning back', () => {
    clock.advance(50_000);
    watcher.activity();
    clock.advance(50_000);
    expect(warns).toEqual([]);
    clock.advance(10_000);
    expect(warns).toEqual([30]);
  });

  it('ignores activity while warning: only "I\'m still here" ends it', () => {
    clock.advance(60_000);
    watcher.activity();
    clock.advance(1_000);
    expect(watcher.phase).toBe('warning');
    watcher.stay();
    expect(stays).toBe(1);
    expect(watcher.phase).toBe('watching');
    clock.advance(59_999);
    expect(warns).toEqual([30, 29]);
    clock.advance(1);
    expect(warns).toEqual([30, 29, 30]);
  });

  it('resets at zero, once, and stops', () => {
    clock.advance(60_000 + 30_000);
    expect(resets).toBe(1);
    expect(warns[0]).toBe(30);
    expect(warns.at(-1)).toBe(1);
    expect(warns).toHaveLength(30);
    expect(watcher.phase).toBe('stopped');
    clock.advance(600_000);
    expect(resets).toBe(1);
    expect(clock.pending).toBe(0);
  });

  it('stay() outside a warning does nothing; stop() clears timers', () => {
    watcher.stay();
    expect(stays).toBe(0);
    watcher.stop();
    expect(clock.pending).toBe(0);
    clock.advance(120_000);
    expect(warns).toEqual([]);
  });

  it('can start again after a reset', () => {
    clock.advance(90_000);
    watcher.start();
    clock.advance(60_000);
    expect(watcher.phase).toBe('warning');
  });
});
