/**
 * The kiosk's idle watcher, in plain TypeScript with an injectable clock so tests drive time.
 *
 * Watching: any input (`activity()`) pushes the warning back. After `warnAfterMs` without input
 * it warns and counts `resetAfterMs` down, once a second; only `stay()` (the "I'm still here"
 * button) ends the warning, so a brushed mouse does not hide it unread. At zero it resets.
 */

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface IdleOptions {
  warnAfterMs: number;
  resetAfterMs: number;
  clock?: Clock;
  /** The warning opens, or its countdown moves: whole seconds left. */
  onWarn: (secondsLeft: number) => void;
  /** The person said they are still here, or the watcher stopped while warning. */
  onStay: () => void;
  /** The countdown reached zero. The watcher has stopped; call `start()` to watch again. */
  onReset: () => void;
}

export type IdlePhase = 'stopped' | 'watching' | 'warning';

/** The DOM events that count as someone being there. */
export const ACTIVITY_EVENTS = [
  'pointerdown',
  'pointermove',
  'keydown',
  'touchstart',
  'wheel',
] as const;

export class IdleWatcher {
  private readonly clock: Clock;
  private timer: unknown = null;
  private lastActivity = 0;
  private deadline = 0;
  private _phase: IdlePhase = 'stopped';

  constructor(private readonly opts: IdleOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  get phase(): IdlePhase {
    return this._phase;
  }

  start(): void {
    this.clearTimer();
    this._phase = 'watching';
    this.lastActivity = this.clock.now();
    this.schedule(this.opts.warnAfterMs);
  }

  stop(): void {
    const wasWarning = this._phase === 'warning';
    this.clearTimer();
    this._phase = 'stopped';
    if (wasWarning) this.opts.onStay();
  }

  /** Cheap enough for pointermove: records the time; the pending timer checks it when due. */
  activity(): void {
    if (this._phase === 'watching') this.lastActivity = this.clock.now();
  }

  /** "I'm still here". */
  stay(): void {
    if (this._phase !== 'warning') return;
    this.start();
    this.opts.onStay();
  }

  private schedule(ms: number): void {
    this.clearTimer();
    this.timer = this.clock.setTimeout(() => this.due(), Math.max(0, ms));
  }

  private clearTimer(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private due(): void {
    this.timer = null;
    const now = this.clock.now();
    if (this._phase === 'watching') {
      const quietFor = now - this.lastActivity;
      if (quietFor < this.opts.warnAfterMs) {
        this.schedule(this.opts.warnAfterMs - quietFor);
        return;
      }
      this._phase = 'warning';
      this.deadline = now + this.opts.resetAfterMs;
      this.tick(now);
    } else if (this._phase === 'warning') {
      this.tick(now);
    }
  }

  private tick(now: number): void {
    const left = this.deadline - now;
    if (left <= 0) {
      this._phase = 'stopped';
      this.opts.onReset();
      return;
    }
    this.opts.onWarn(Math.ceil(left / 1000));
    // Wake at the next whole second, so the countdown reads 30, 29, … 1.
    const toNextSecond = left % 1000 === 0 ? 1000 : left % 1000;
    this.schedule(toNextSecond);
  }
}
