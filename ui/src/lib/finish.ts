/**
 * "Finish and clear": end the session at the service (Rust wipes its side), then wipe ours.
 * The web side is wiped even when the call fails: the person is leaving either way.
 * In agent mode the same is "Sign out" (and the kiosk's idle reset): the agent's session ends
 * and the person on the call and the caller check are forgotten with it.
 */
import { clearAnnouncements } from './announcer.svelte';
import { agentSignOut, finish, type AppError } from './ipc';
import { app, choose, isAgentMode, reset } from './state.svelte';

/** `reason`: shown on the first screen afterwards (an agent session that ran out). */
export async function finishAndClear(reason: AppError | null = null): Promise<void> {
  try {
    await (isAgentMode() ? agentSignOut() : finish());
  } catch {
    /* nothing to show: the screen is being cleared */
  } finally {
    clearAnnouncements();
    reset();
    app.carriedError = reason;
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
