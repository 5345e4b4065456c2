/**
 * A tiny typed translator: flat keys in locales/*.json, `{name}` placeholders.
 *
 * The current locale is a rune, so every `t()` in a template re-renders when the person picks
 * another language. English is the source of the key type; Spanish must have the same keys
 * (checked by the compiler here and by tests/locales.test.ts).
 */
import en from '../locales/en.json';
import esJson from '../locales/es.json';
import type { Locale } from './ipc';

export type MessageKey = keyof typeof en;
export type Params = Record<string, string | number>;

const es: Record<MessageKey, string> = esJson;

export const catalogs: Record<Locale, Record<MessageKey, string>> = { en, es };
export const LOCALES: readonly Locale[] = ['en', 'es'];

export const i18n = $state<{ locale: Locale }>({ locale: 'en' });

export function isLocale(v: unknown): v is Locale {
  return v === 'en' || v === 'es';
}

export function setLocale(locale: Locale): void {
  i18n.locale = locale;
}

/** Fills `{name}` placeholders; an unknown placeholder stays visible so a test catches it. */
export function interpolate(template: string, params?: Params): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (m, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : m,
  );
}

export function t(key: MessageKey, params?: Params): string {
  const template = catalogs[i18n.locale][key] ?? catalogs.en[key] ?? key;
  return interpolate(template, params);
}

/** For keys built at run time (error codes); falls back to `fallback` when absent. */
export function hasKey(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(catalogs.en, key);
}
