/**
 * Every agent-mode screen through axe-core (WCAG 2.x A/AA rules that jsdom can judge: names,
 * labels, roles, ARIA references, table headers, duplicate ids). Colour contrast needs a real
 * layout engine, so it is off here; the colours are the shared tokens of base.css.
 */
import { clearMocks } from '@tauri-apps/api/mocks';
import { render, screen } from '@testing-library/svelte';
import axe from 'axe-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import App from '../src/App.svelte';
import { setLocale } from '../src/lib/i18n.svelte';
import { app, reset, type Screen } from '../src/lib/state.svelte';
import { HD_INFO, hdBackend, MARGARET, openAs, verified } from './helpDeskFixtures';

beforeEach(() => {
  app.info = null;
  reset();
  setLocale('en');
});
afterEach(() => clearMocks());

async function violations(): Promise<string[]> {
  const result = await axe.run(document.body, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    rules: { 'color-contrast': { enabled: false } },
  });
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describe('agent-mode screens pass axe', () => {
  it('(the harness does catch a missing label)', async () => {
    document.body.innerHTML = '<main><input type="text" id="x"></main>';
    expect((await violations()).join()).toMatch(/^label:/);
    document.body.innerHTML = '';
  });

  it('AgentSignIn', async () => {
    hdBackend({ ...HD_INFO, demo: true });
    render(App);
    await screen.findByTestId('agent-username');
    expect(await violations()).toEqual([]);
  });

  const SCREENS: [Screen, string][] = [
    ['agentSecondFactor', 'agent-key-start'],
    ['findPerson', 'find-username'],
    ['personRecord', 'caller-status'],
    ['verifyCaller', 'caller-send-email'],
    ['hdIssueCode', 'hd-valid-minutes'],
    ['hdSendActivation', 'hd-channel-text'],
    ['hdAddPhone', 'hd-phone-number'],
    ['hdSendKeyLink', 'hd-valid-hours'],
    ['hdRegisterKey', 'hd-register-key-submit'],
    ['hdUnlock', 'hd-unlock-submit'],
    ['hdClearPin', 'hd-clear-pin-submit'],
    ['hdRemoveDevice', 'hd-remove-reason-lost'],
  ];
  for (const [name, testid] of SCREENS) {
    it(name, async () => {
      hdBackend({ ...HD_INFO, kiosk: true, kioskIdle: { warnAfterSeconds: 600, resetAfterSeconds: 60 } });
      app.deviceId = 'ph1';
      openAs(MARGARET, name, { caller: verified('date_of_birth_and_pin') });
      await screen.findByTestId(testid);
      expect(await violations()).toEqual([]);
    });
  }
});
