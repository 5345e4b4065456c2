import { describe, expect, it } from 'vitest';
import { AppError } from '../src/lib/ipc';
import { achieve, app, choose, go, reset, signInAgain } from '../src/lib/state.svelte';

describe('state', () => {
  it('choosing a problem picks the verify mode and goes to sign-in', () => {
    reset();
    choose('helpdesk-code');
    expect(app.problem).toBe('helpdesk-code');
    expect(app.verifyMode).toBe('passcode');
    expect(app.screen).toBe('signIn');
    choose('new-phone');
    expect(app.verifyMode).toBe('pin');
  });

  it('reset wipes everything but the configuration', () => {
    app.info = {
      version: '1',
      demo: true,
      kiosk: true,
      organisation: { name: 'Org', logoDataUri: null },
      helpDesk: { phone: null, url: null, email: null },
      kioskIdle: { warnAfterSeconds: 60, resetAfterSeconds: 30 },
      locale: 'en',
      copyAllowed: false,
      mode: 'person',
    };
    choose('one-time-code');
    app.session = { displayName: 'Ada', expiresAt: '2026-01-01T00:00:00Z' };
    app.devices = [];
    app.deviceId = 'd1';
    app.notice = { key: 'landline.added' };
    app.carriedError = new AppError({ code: 'session_expired' });
    achieve('bypassCode');
    go('bypassCode');
    localStorage.setItem('x', '1');
    sessionStorage.setItem('y', '2');
    document.body.innerHTML = '<input id="f" value="secret"><input type="radio" id="r" checked>';
    const before = app.generation;

    reset();

    expect(app.screen).toBe('start');
    expect(app.problem).toBeNull();
    expect(app.verifyMode).toBe('pin');
    expect(app.session).toBeNull();
    expect(app.devices).toBeNull();
    expect(app.deviceId).toBeNull();
    expect(app.notice).toBeNull();
    expect(app.carriedError).toBeNull();
    expect(app.done).toEqual([]);
    expect(app.generation).toBe(before + 1);
    expect(app.info?.organisation.name).toBe('Org');
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
    expect((document.getElementById('f') as HTMLInputElement).value).toBe('');
    expect((document.getElementById('r') as HTMLInputElement).checked).toBe(false);
    document.body.innerHTML = '';
  });

  it('never holds a secret-looking field', () => {
    reset();
    const keys = Object.keys(app);
    for (const k of keys) expect(k).not.toMatch(/password|pin|passcode|code$|token/i);
  });

  it('signInAgain drops the session and carries the reason', () => {
    reset();
    app.session = { displayName: 'Ada', expiresAt: 'x' };
    go('devices');
    signInAgain(new AppError({ code: 'session_expired' }));
    expect(app.screen).toBe('signIn');
    expect(app.session).toBeNull();
    expect(app.carriedError?.code).toBe('session_expired');
  });

  it('records each achievement once', () => {
    reset();
    achieve('landline');
    achieve('landline');
    expect(app.done).toEqual(['landline']);
  });
});

describe('state in agent mode', () => {
  it('reset wipes the agent, the person and the caller check, and starts at the agent sign-in', () => {
    app.info = {
      version: '1',
      demo: false,
      kiosk: true,
      organisation: { name: 'Org', logoDataUri: null },
      helpDesk: { phone: null, url: null, email: null },
      kioskIdle: { warnAfterSeconds: 60, resetAfterSeconds: 30 },
      locale: 'en',
      copyAllowed: false,
      mode: 'help_desk',
    };
    app.agent = {
      username: 'hopper',
      displayName: 'Grace Hopper',
      role: 'help_desk',
      method: 'security_key',
      permissions: ['look_up'],
      expiresAt: '2026-01-01T00:00:00Z',
      securityKeys: 1,
    };
    app.caller = { status: 'verified', method: 'sent_code', sentTo: [], expiresAt: '2026-01-01T00:00:00Z' };
    go('personRecord');
    reset();
    expect(app.screen).toBe('agentSignIn');
    expect(app.agent).toBeNull();
    expect(app.person).toBeNull();
    expect(app.caller).toBeNull();

    // A session that ended goes back to the agent's sign-in, not the person's.
    go('findPerson');
    signInAgain(new AppError({ code: 'session_expired' }));
    expect(app.screen).toBe('agentSignIn');
    expect(app.carriedError?.code).toBe('session_expired');
    app.info = null;
    reset();
    expect(app.screen).toBe('start');
  });
});
