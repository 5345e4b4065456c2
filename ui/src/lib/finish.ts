/**
 * "Finish and clear": end the session at the service (Rust wipes its side), then wipe ours.
 * The web side is wiped even when the call fails: the person is leaving either way.
 */
import { clearAnnouncements } from './announcer.svelte';
import { finish } from './ipc';
import { reset } from './state.svelte';

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
