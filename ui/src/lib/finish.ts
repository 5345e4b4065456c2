/**
 * "Finish and clear": end the session at the service (Rust wipes its side), then wipe ours.
 * The web side is wiped even when the call fails: the person is leaving either way.
 */
import { clearAnnouncements } from './announcer.svelte';
import { finish } from './ipc';
import { choose, reset } from './state.svelte';

export async function finishAndClear(): Promise<void> {
  try {
    await finish();
  } catch {
    /* nothing to show: the screen is being cleared */
  } finally {
    clearAnnouncements();
    reset();
  }
}

/**
 * The recovery PIN can only be set in a session opened with a passcode: end this one and start
 * over on that path (sign in, then a code from a device or the help desk).
 */
export async function signInWithPasscode(): Promise<void> {
  await finishAndClear();
  choose('recovery-pin');
}
