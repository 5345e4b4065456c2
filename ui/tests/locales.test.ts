import { describe, expect, it } from 'vitest';
import en from '../src/locales/en.json';
import es from '../src/locales/es.json';
import { interpolate, i18n, setLocale, t } from '../src/lib/i18n.svelte';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('locales', () => {
  it('en and es have exactly the same keys', () => {
    expect(Object.keys(es).sort()).toEqual(Object.keys(en).sort());
  });
  it('no value is empty', () => {
    for (const [name, catalog] of Object.entries({ en, es })) {
      for (const [key, value] of Object.entries(catalog)) {
        expect(value.trim(), `${name}:${key}`).not.toBe('');
      }
    }
  });
  it('each translation uses the same placeholders', () => {
    const esMap = es as Record<string, string>;
    for (const [key, value] of Object.entries(en)) {
      expect(placeholders(esMap[key]), key).toEqual(placeholders(value));
    }
  });
});

describe('t', () => {
  it('fills placeholders and follows the current locale', () => {
    setLocale('en');
    expect(t('step.progress', { step: 2, total: 3 })).toBe('Step 2 of 3');
    setLocale('es');
    expect(i18n.locale).toBe('es');
    expect(t('step.progress', { step: 2, total: 3 })).toBe('Paso 2 de 3');
    setLocale('en');
  });
  it('leaves unknown placeholders visible', () => {
    expect(interpolate('a {x} {y}', { x: 1 })).toBe('a 1 {y}');
  });
});
