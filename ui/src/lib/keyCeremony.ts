/**
 * The security-key screen's steps, driven by the ceremony's events (Rust `KeyEvent`).
 *
 * Pure, so the order of events the Rust side may send is tested without a window. The screen
 * keeps one `KeyPhase` and feeds each event through `nextPhase`.
 */
import type { AppError, Device, KeyEvent, PinRule } from './ipc';

export type KeyPhase =
  /** What a security key is, and "Start". */
  | { step: 'intro' }
  /** Plug in the key; `tooMany` when more than one is plugged in. */
  | { step: 'waiting'; tooMany: number | null }
  /** The key has no PIN: choose one (typed twice). */
  | { step: 'newPin'; minLength: number; rejected: PinRule | null }
  /** Type the key's PIN; `wrong` after a wrong one. */
  | { step: 'pin'; retriesLeft: number | null; wrong: boolean }
  /** Touch the key (it blinks). */
  | { step: 'touch' }
  /** The key or the service is working; nothing to do. */
  | { step: 'working' }
  | { step: 'registered'; device: Device }
  | { step: 'failed'; error: AppError };

/** The steps during which the ceremony runs (and Cancel is offered). */
export function isRunning(phase: KeyPhase): boolean {
  return !['intro', 'registered', 'failed'].includes(phase.step);
}

export function nextPhase(phase: KeyPhase, e: KeyEvent): KeyPhase {
  switch (e.event) {
    case 'waitingForKey':
      return { step: 'waiting', tooMany: null };
    case 'tooManyKeys':
      return { step: 'waiting', tooMany: e.count };
    case 'keyFound':
    case 'processing':
      // A PIN form stays up while the key reports that it is busy with something else.
      return phase.step === 'newPin' || phase.step === 'pin' ? phase : { step: 'working' };
    case 'pinSetupNeeded':
      return { step: 'newPin', minLength: e.minLength, rejected: null };
    case 'pinSetupRejected': {
      const minLength =
        e.reason.rule === 'tooShort' ? e.reason.minLength : phase.step === 'newPin' ? phase.minLength : 6;
      return { step: 'newPin', minLength, rejected: e.reason };
    }
    case 'pinWrong':
      return { step: 'pin', retriesLeft: e.retriesLeft, wrong: true };
    case 'pinNeeded':
      return {
        step: 'pin',
        retriesLeft: e.retriesLeft,
        wrong: phase.step === 'pin' && phase.wrong,
      };
    case 'touchNeeded':
      return { step: 'touch' };
  }
}

/** The model the key named, for the screen's subtitle (null until the key is found). */
export function modelOf(e: KeyEvent): string | null {
  return e.event === 'keyFound' ? e.model : null;
}
