import { describe, expect, it } from 'vitest';
import en from '../src/locales/en.json';
import es from '../src/locales/es.json';
import {
  ALL_CODES,
  APP_CODES,
  describeError,
  isSessionError,
  normaliseField,
  SERVICE_CODES,
} from '../src/lib/errors';
import { AppError } from '../src/lib/ipc';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const catalogs = { en: en as Record<string, string>, es: es as Record<string, string> };
const NOW = Date.parse('2026-05-20T10:00:00Z');

describe('error codes', () => {
  it('lists every code of problem.rs', () => {
    // The Rust source is the contract: read its snake_case names when the file is there.
    // Vitest runs from ui/.
    const path = resolve(process.cwd(), '..', 'crates/recovery-api/src/problem.rs');
    let source: string;
    try {
      source = readFileSync(path, 'utf8');
    } catch {
      return; // ui/ built alone
    }
    const names = [...source.matchAll(/=> "([a-z_]+)",/g)].map((m) => m[1]);
    const rustCodes = [...new Set(names)];
    expect(rustCodes.length).toBeGreaterThanOrEqual(28);
    expect([...SERVICE_CODES].sort()).toEqual(rustCodes.sort());
  });

  it('has a what and a next message in en and es for every code', () => {
    expect(ALL_CODES).toEqual(expect.arrayContaining([...SERVICE_CODES, ...APP_CODES]));
    for (const code of ALL_CODES) {
      for (const [name, catalog] of Object.entries(catalogs)) {
        expect(catalog[`error.${code}.what`], `${name} ${code}.what`).toBeTruthy();
        expect(catalog[`error.${code}.next`], `${name} ${code}.next`).toBeTruthy();
      }
      const view = describeError(new AppError({ code }), NOW, 'en');
      expect(view.code).toBe(code);
      expect(view.what.key).toBe(`error.${code}.what`);
    }
  });

  it('reads an unknown code as internal', () => {
    const view = describeError(new AppError({ code: 'brand_new' }), NOW, 'en');
    expect(view.code).toBe('internal');
    expect(view.showHelpDesk).toBe(true);
  });

  it('gives verification_failed one message whatever was wrong', () => {
    const a = describeError(new AppError({ code: 'verification_failed' }), NOW, 'en');
    const b = describeError(
      new AppError({ code: 'verification_failed', field: 'pin' }),
      NOW,
      'en',
    );
    expect(a.what).toEqual(b.what);
    expect(a.next).toEqual(b.next);
    expect(b.field).toBeNull();
  });

  it('says when to try again for too_many_attempts, a temporary lock and a daily limit', () => {
    const retryAt = new Date(NOW + 14 * 60_000 + 10_000).toISOString();
    for (const code of ['too_many_attempts', 'locked', 'limit_reached']) {
      const view = describeError(new AppError({ code, retryAt }), NOW, 'en');
      expect(view.next.key).toBe(`error.${code}.nextAt`);
      expect(view.next.params?.minutes).toBe(15);
      expect(String(view.next.params?.time)).toMatch(/\d{1,2}:\d{2}/);
    }
  });

  it('sends a lock without retryAt to the help desk', () => {
    const view = describeError(new AppError({ code: 'locked' }), NOW, 'en');
    expect(view.next.key).toBe('error.locked.next');
    expect(view.showHelpDesk).toBe(true);
    const temp = describeError(
      new AppError({ code: 'locked', retryAt: new Date(NOW + 60_000).toISOString() }),
      NOW,
      'en',
    );
    expect(temp.showHelpDesk).toBe(false);
  });

  it('says a daily limit changed nothing, and shows the help desk', () => {
    const view = describeError(new AppError({ code: 'limit_reached' }), NOW, 'en');
    expect(view.next.key).toBe('error.limit_reached.next');
    expect(view.showHelpDesk).toBe(true);
    expect(en['error.limit_reached.what']).toMatch(/nothing was sent or changed/);
    expect(es['error.limit_reached.what']).toMatch(/no se ha enviado ni cambiado nada/);
  });

  it('shows the help desk when the service cannot be reached', () => {
    const view = describeError(new AppError({ code: 'service_unreachable' }), NOW, 'en');
    expect(view.showHelpDesk).toBe(true);
    expect(en['error.service_unreachable.what']).toMatch(/cannot be reached/);
  });

  it('counts the tries left for code_incorrect', () => {
    expect(describeError(new AppError({ code: 'code_incorrect', attemptsLeft: 2 }), NOW, 'en').next)
      .toEqual({ key: 'error.code_incorrect.nextMany', params: { count: 2 } });
    expect(describeError(new AppError({ code: 'code_incorrect', attemptsLeft: 1 }), NOW, 'en').next.key)
      .toBe('error.code_incorrect.nextOne');
  });

  it('names the field to focus for invalid_input and invalid_field', () => {
    expect(describeError(new AppError({ code: 'invalid_input', field: 'dateOfBirth' }), NOW, 'en').field)
      .toBe('dateOfBirth');
    expect(describeError(new AppError({ code: 'invalid_field', field: 'date_of_birth' }), NOW, 'en').field)
      .toBe('dateOfBirth');
    expect(normaliseField('body.phone_id')).toBe('phoneId');
    expect(normaliseField(null)).toBeNull();
  });

  it('sends session errors back to sign-in', () => {
    for (const code of ['session_expired', 'session_invalid', 'not_signed_in']) {
      expect(isSessionError(code)).toBe(true);
      expect(describeError(new AppError({ code }), NOW, 'en').signInAgain).toBe(true);
    }
    expect(isSessionError('verification_failed')).toBe(false);
  });
});

describe('error variants (agent mode)', () => {
  it('a variant key wins, and the base key is the fallback', () => {
    const notFound = describeError(new AppError({ code: 'not_found' }), NOW, 'en', ['lookUp', 'agent']);
    expect(notFound.what.key).toBe('error.not_found.lookUp.what');
    expect(notFound.next.key).toBe('error.not_found.lookUp.next');
    // code_incorrect has a caller "what" but keeps the counted "next".
    const code = describeError(new AppError({ code: 'code_incorrect', attemptsLeft: 1 }), NOW, 'en', ['caller']);
    expect(code.what.key).toBe('error.code_incorrect.caller.what');
    expect(code.next.key).toBe('error.code_incorrect.nextOne');
    // No variant for this code: the base wording.
    expect(describeError(new AppError({ code: 'own_account' }), NOW, 'en', ['agent']).what.key).toBe('error.own_account.what');
    const retryAt = new Date(NOW + 5 * 60_000).toISOString();
    expect(describeError(new AppError({ code: 'limit_reached', retryAt }), NOW, 'en', ['agent']).next.key).toBe(
      'error.limit_reached.agent.nextAt',
    );
  });

  it('every variant key has its base code and exists in both languages', () => {
    const variantKeys = Object.keys(en).filter((k) => /^error\.[a-z_]+\.(agent|caller|lookUp)\./.test(k));
    expect(variantKeys.length).toBeGreaterThan(10);
    for (const k of variantKeys) {
      const code = k.split('.')[1];
      expect(ALL_CODES, k).toContain(code);
      expect(catalogs.es[k], k).toBeTruthy();
    }
  });
});
