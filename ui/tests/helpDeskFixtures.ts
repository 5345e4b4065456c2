/** What the help-desk (agent mode) tests share: agents, a person's record, a mocked back end. */
import { mockIPC } from '@tauri-apps/api/mocks';
import { render } from '@testing-library/svelte';
import App from '../src/App.svelte';
import type { AgentView, AppInfo, CallerCheckView, Device, HelpDeskPermission, KeyEvent, PersonRecordView } from '../src/lib/ipc';
import { app, type Screen } from '../src/lib/state.svelte';
import { err, INFO as BASE, soon } from './fixtures';

export const HD_INFO: AppInfo = { ...BASE, mode: 'help_desk' };

const ALL: HelpDeskPermission[] = [
  'look_up',
  'verify_caller',
  'issue_bypass_code',
  'send_activation',
  'add_phone',
  'send_security_key_link',
  'register_security_key',
  'unlock_temporary',
  'unlock_daily',
  'clear_recovery_pin',
  'remove_device',
  'act_on_agents',
];

export const HOPPER: AgentView = {
  username: 'hopper',
  displayName: 'Grace Hopper',
  role: 'help_desk',
  method: 'security_key',
  permissions: ALL.filter((p) => p !== 'unlock_daily' && p !== 'act_on_agents'),
  expiresAt: soon(15 * 60_000),
  securityKeys: 1,
};

export const MARGARET: AgentView = {
  username: 'margaret',
  displayName: 'Margaret Hamilton',
  role: 'admin',
  method: 'passcode',
  permissions: ALL,
  expiresAt: soon(15 * 60_000),
  securityKeys: 0,
};

export const MOBILE: Device = {
  id: 'ph1',
  kind: 'phone',
  name: 'iPhone',
  status: 'active',
  phone: { numberHint: '•••• 0100', phoneType: 'mobile', platform: 'ios', appActivated: true },
  createdAt: null,
};

export const TOKEN: Device = {
  id: 'hw1',
  kind: 'hardware_token',
  name: 'Token DEMO-000123',
  status: 'active',
  phone: null,
  createdAt: null,
};

export function person(over: Partial<PersonRecordView> = {}): PersonRecordView {
  return {
    username: 'ada',
    displayName: 'Ada Lovelace',
    notificationAddresses: ['a•••@example.org'],
    directoryPhones: ['•••• 0178'],
    devices: [MOBILE, TOKEN],
    lock: { state: 'temporary', until: soon(10 * 60_000), failuresLastDay: 3 },
    recoveryPinSet: true,
    isAgent: false,
    ownAccount: false,
    recentEvents: [
      { at: '2026-12-06T10:00:00Z', event: 'verification_failed', outcome: 'failure', client: 'the device at 192.0.2.7' },
      { at: '2026-12-06T09:00:00Z', event: 'bypass_code_issued', outcome: 'success', client: 'Help Desk Kiosk 2' },
      { at: '2026-12-06T08:00:00Z', event: 'something_new', outcome: 'success', client: 'agent hopper' },
    ],
    ...over,
  };
}

export const verified = (method: CallerCheckView['method'] = 'sent_code'): CallerCheckView => ({
  status: 'verified',
  method,
  sentTo: method === 'sent_code' ? ['a•••@example.org'] : [],
  expiresAt: soon(15 * 60_000),
});

export type Handler = (args: Record<string, unknown>) => unknown;
export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

/**
 * A back end for agent mode: every command answers something sensible unless overridden; an
 * unknown one rejects with `internal`. `emit` sends a key event on the last ceremony's channel.
 */
export function hdBackend(info: AppInfo = HD_INFO, overrides: Record<string, Handler> = {}) {
  const calls: Call[] = [];
  let onEvent: ((e: KeyEvent) => void) | null = null;
  const handlers: Record<string, Handler> = {
    app_info: () => info,
    demo_inbox: () => [],
    agent_begin_sign_in: () => null,
    agent_sign_in_with_passcode: () => MARGARET,
    agent_sign_out: () => null,
    agent_end_call: () => null,
    agent_find_person: () => person(),
    agent_send_caller_code: () => ({ status: 'pending', method: 'sent_code', sentTo: ['a•••@example.org'], expiresAt: soon() }),
    agent_check_caller_code: () => verified('sent_code'),
    agent_verify_caller_pin: () => verified('date_of_birth_and_pin'),
    agent_verify_caller_in_person: () => verified('in_person'),
    agent_issue_bypass_code: () => ({ code: '123456789', expiresAt: soon() }),
    agent_send_activation: () => ({ sentTo: ['•••• 0100'], expiresAt: soon() }),
    agent_add_phone: () => ({ id: 'ph2', numberHint: '•••• 0142', expiresAt: soon(), delivery: 'voice_call' }),
    agent_verify_phone: () => null,
    agent_send_key_link: () => ({ sentTo: ['a•••@example.org'], expiresAt: soon(24 * 3600_000) }),
    agent_unlock: () => ({ lifted: 'temporary' }),
    agent_clear_recovery_pin: () => ({ cleared: true }),
    agent_remove_device: () => null,
    answer_key_pin: () => null,
    cancel_security_key: () => null,
    touch_demo_key: () => true,
    ...overrides,
  };
  mockIPC((cmd, raw) => {
    const args = (raw ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    if (args.events && typeof args.events === 'object') {
      onEvent = (args.events as { onmessage: (e: KeyEvent) => void }).onmessage;
    }
    const h = handlers[cmd];
    if (!h) throw err('internal');
    return h(args);
  });
  return {
    calls,
    emit: (e: KeyEvent) => onEvent?.(e),
    argsOf: (cmd: string) => calls.find((c) => c.cmd === cmd)?.args,
    called: (cmd: string) => calls.some((c) => c.cmd === cmd),
  };
}

/** Renders the app already signed in (and with the person open, unless `screen` is before that). */
export function openAs(agent: AgentView, screen: Screen, over: { person?: PersonRecordView | null; caller?: CallerCheckView | null } = {}) {
  app.agent = agent;
  app.person = over.person === undefined ? person() : over.person;
  app.caller = over.caller ?? null;
  app.screen = screen;
  return render(App);
}

/** The visible text, spaces collapsed. */
export const text = (el: Element | null) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
