/**
 * Agent mode: which actions the record offers, and why one is not available yet. The service's
 * guard decides (docs/help-desk.md); this mirrors it so the agent sees the reason before trying:
 * the role's permissions, the agent's own account, an agent's account, the caller check and its
 * strength (date of birth + PIN is weak), and what the account has to act on.
 *
 * Pure: tests feed it records without a window.
 */
import type { MessageKey } from './i18n.svelte';
import type { AgentView, CallerCheckView, HelpDeskPermission, PersonRecordView } from './ipc';
import { msUntil } from './format';

export type HdAction =
  | 'issueCode'
  | 'sendActivation'
  | 'addPhone'
  | 'sendKeyLink'
  | 'registerKey'
  | 'unlock'
  | 'clearPin'
  | 'removeDevice';

/** In the order the record lists them. */
export const HD_ACTIONS: readonly HdAction[] = [
  'issueCode',
  'sendActivation',
  'addPhone',
  'sendKeyLink',
  'registerKey',
  'unlock',
  'clearPin',
  'removeDevice',
];

/** Actions a date-of-birth + PIN check does not allow (`caller_verification_too_weak`). */
const NEEDS_STRONG: ReadonlySet<HdAction> = new Set(['issueCode', 'addPhone', 'registerKey']);

const PERMISSION: Record<Exclude<HdAction, 'unlock'>, HelpDeskPermission> = {
  issueCode: 'issue_bypass_code',
  sendActivation: 'send_activation',
  addPhone: 'add_phone',
  sendKeyLink: 'send_security_key_link',
  registerKey: 'register_security_key',
  clearPin: 'clear_recovery_pin',
  removeDevice: 'remove_device',
};

export type CallerState = 'none' | 'pending' | 'verified' | 'expired';

export function callerState(caller: CallerCheckView | null, now: number): CallerState {
  if (!caller) return 'none';
  if (msUntil(caller.expiresAt, now) <= 0) return 'expired';
  return caller.status === 'verified' ? 'verified' : 'pending';
}

export function needsStrongCheck(action: HdAction): boolean {
  return NEEDS_STRONG.has(action);
}

/** The permission unlocking this lock takes: the daily lock is the admins' (by default). */
export function unlockPermission(person: PersonRecordView): HelpDeskPermission {
  return person.lock.state === 'until_help_desk' ? 'unlock_daily' : 'unlock_temporary';
}

function permissionFor(action: HdAction, person: PersonRecordView): HelpDeskPermission {
  return action === 'unlock' ? unlockPermission(person) : PERMISSION[action];
}

export interface ActionState {
  action: HdAction;
  enabled: boolean;
  /** Why it is not available yet (null when enabled). */
  why: MessageKey | null;
}

/** Why nobody may act on this account now, whatever the action (null: someone may). */
function accountBar(agent: AgentView, person: PersonRecordView): MessageKey | null {
  if (person.ownAccount) return 'hd.why.ownAccount';
  if (person.isAgent && !agent.permissions.includes('act_on_agents')) return 'hd.why.agentAccount';
  return null;
}

/** What the account lacks for this action. */
function nothingToActOn(action: HdAction, person: PersonRecordView): MessageKey | null {
  switch (action) {
    case 'sendActivation':
      return person.devices.some((d) => d.kind === 'phone' && d.phone?.phoneType === 'mobile' && d.status !== 'disabled')
        ? null
        : 'hd.why.noMobile';
    case 'sendKeyLink':
      return person.notificationAddresses.length > 0 ? null : 'hd.why.noAddress';
    case 'unlock':
      return person.lock.state !== 'open' || person.lock.failuresLastDay > 0 ? null : 'hd.why.notLocked';
    case 'clearPin':
      return person.recoveryPinSet ? null : 'hd.why.noPin';
    case 'removeDevice':
      return person.devices.length > 0 ? null : 'hd.why.noDevices';
    default:
      return null;
  }
}

/** Why the caller check does not allow this action yet. */
function callerBar(action: HdAction, caller: CallerCheckView | null, now: number): MessageKey | null {
  const state = callerState(caller, now);
  if (state === 'expired') return 'hd.why.callerExpired';
  if (state !== 'verified') return 'hd.why.verifyFirst';
  if (caller?.method === 'date_of_birth_and_pin' && needsStrongCheck(action)) return 'hd.why.tooWeak';
  return null;
}

/**
 * The actions to show (those the role has the permission for), each enabled or with its reason.
 * Unlocking a lock that holds until the help desk is not shown to a role without `unlock_daily`
 * (see `dailyLockNeedsAdmin`).
 */
export function actionStates(
  agent: AgentView,
  person: PersonRecordView,
  caller: CallerCheckView | null,
  now: number,
): ActionState[] {
  const bar = accountBar(agent, person);
  return HD_ACTIONS.filter((a) => agent.permissions.includes(permissionFor(a, person))).map((action) => {
    const why = bar ?? nothingToActOn(action, person) ?? callerBar(action, caller, now);
    return { action, enabled: why === null, why };
  });
}

/** The account is locked until the help desk unlocks, and this agent's role may not lift it. */
export function dailyLockNeedsAdmin(agent: AgentView, person: PersonRecordView): boolean {
  return person.lock.state === 'until_help_desk' && !agent.permissions.includes('unlock_daily');
}

/** Whether the agent may start a caller check for this person (null) or why not. */
export function verifyCallerBar(agent: AgentView, person: PersonRecordView): MessageKey | null {
  if (!agent.permissions.includes('verify_caller')) return 'hd.why.noPermission';
  return accountBar(agent, person);
}
