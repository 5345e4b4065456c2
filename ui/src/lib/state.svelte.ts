/**
 * The app's whole memory on the web side: where the person is and what they chose.
 *
 * Never a password, PIN or code: those live only in input fields and are emptied as soon as
 * their command returns. `reset()` wipes everything (kiosk idle, "Finish and clear", and in
 * agent mode "Sign out": the agent, the person on the call and the caller check too).
 */
import type { Line } from './errors';
import type { AgentView, AppError, AppInfo, CallerCheckView, Device, PersonRecordView, SessionView } from './ipc';

export type Screen =
  | 'start'
  | 'signIn'
  | 'verify'
  | 'devices'
  | 'bypassCode'
  | 'addLandline'
  | 'phoneApp'
  | 'removeDevice'
  | 'resyncToken'
  | 'securityKey'
  | 'recoveryPin'
  | 'done'
  // Agent mode (screens/help-desk/).
  | 'agentSignIn'
  | 'agentSecondFactor'
  | 'findPerson'
  | 'personRecord'
  | 'verifyCaller'
  | 'hdIssueCode'
  | 'hdSendActivation'
  | 'hdAddPhone'
  | 'hdSendKeyLink'
  | 'hdRegisterKey'
  | 'hdUnlock'
  | 'hdClearPin'
  | 'hdRemoveDevice';

/** The answers on Start ("What happened?"). */
export type Situation =
  | 'new-phone'
  | 'app-not-working'
  | 'token-bad-codes'
  | 'helpdesk-code'
  | 'one-time-code';

/**
 * Why the person came: a situation, or Start's secondary entry `recovery-pin`, preparing before
 * anything happened (signed in with a passcode, straight to the RecoveryPin screen).
 */
export type Problem = Situation | 'recovery-pin';

export const PROBLEMS: readonly Situation[] = [
  'new-phone',
  'app-not-working',
  'token-bad-codes',
  'helpdesk-code',
  'one-time-code',
];

/** Something done in this session, listed on Done. */
export type Achievement =
  | 'bypassCode'
  | 'landline'
  | 'phoneApp'
  | 'removed'
  | 'resynced'
  | 'securityKey'
  | 'recoveryPinSet'
  | 'recoveryPinChanged';

interface AppState {
  /** Configuration from `app_info`; kept across resets. */
  info: AppInfo | null;
  screen: Screen;
  problem: Problem | null;
  verifyMode: 'pin' | 'passcode';
  session: SessionView | null;
  devices: Device[] | null;
  /** The device a sub-screen acts on (remove, resync, phone app). */
  deviceId: string | null;
  /** A success message for the next screen. */
  notice: Line | null;
  /** An error to show on the next screen (a session that ended sends back to SignIn). */
  carriedError: AppError | null;
  done: Achievement[];
  /** Agent mode: the signed-in agent (no token: that stays in Rust). */
  agent: AgentView | null;
  /** Agent mode: the record of the person on the call. */
  person: PersonRecordView | null;
  /** Agent mode: the caller check for that person, pending or verified. */
  caller: CallerCheckView | null;
  /** Bumped by reset: screens are keyed on it, so their fields are recreated empty. */
  generation: number;
}

/** The app runs the help-desk console (`app_info.mode`), not the person's self-service. */
export function isAgentMode(): boolean {
  return app.info?.mode === 'help_desk';
}

/** Where a fresh start begins: the person's Start, or the agent's sign-in in agent mode. */
function firstScreen(): Screen {
  return isAgentMode() ? 'agentSignIn' : 'start';
}

function initial(screen: Screen = 'start'): Omit<AppState, 'info' | 'generation'> {
  return {
    screen,
    problem: null,
    verifyMode: 'pin',
    session: null,
    devices: null,
    deviceId: null,
    notice: null,
    carriedError: null,
    done: [],
    agent: null,
    person: null,
    caller: null,
  };
}

export const app: AppState = $state({ info: null, generation: 0, ...initial() });

export function go(screen: Screen): void {
  app.screen = screen;
}

export function choose(problem: Problem): void {
  app.problem = problem;
  // Setting the recovery PIN needs a session opened with a passcode.
  app.verifyMode = problem === 'helpdesk-code' || problem === 'recovery-pin' ? 'passcode' : 'pin';
  go('signIn');
}

export function achieve(what: Achievement): void {
  if (!app.done.includes(what)) app.done.push(what);
}

/** Back to SignIn (AgentSignIn in agent mode) after the session ended, with the reason shown there. */
export function signInAgain(err: AppError): void {
  app.agent = null;
  app.person = null;
  app.caller = null;
  app.session = null;
  app.devices = null;
  app.deviceId = null;
  app.notice = null;
  app.carriedError = err;
  go(isAgentMode() ? 'agentSignIn' : 'signIn');
}

/** Agent mode: the call is over; the person and the caller check are forgotten. */
export function forgetCaller(): void {
  app.person = null;
  app.caller = null;
  app.deviceId = null;
  app.notice = null;
}

/** Wipes everything but the configuration and returns to Start (AgentSignIn in agent mode). */
export function reset(): void {
  Object.assign(app, initial(firstScreen()));
  app.generation += 1;
  // Nothing is ever stored there; clear anyway so a kiosk hands over a clean web view.
  for (const store of [globalThis.localStorage, globalThis.sessionStorage]) {
    try {
      store?.clear();
    } catch {
      /* storage disabled: nothing to clear */
    }
  }
  // Empty every field still in the page (a dialog, a half-typed form) before it unmounts.
  if (typeof document !== 'undefined') {
    document.querySelectorAll('input').forEach((input) => {
      if (input.type === 'radio' || input.type === 'checkbox') input.checked = false;
      else input.value = '';
    });
  }
}
