import { describe, expect, it } from 'vitest';
import {
  checkDateOfBirth,
  checkDeviceName,
  checkExtension,
  checkPasscode,
  checkPassword,
  checkPhoneNumber,
  checkPin,
  checkResyncCodes,
  checkSixDigitCode,
  checkUsername,
} from '../src/lib/validation';

const NOW = new Date(2026, 4, 20, 12, 0, 0); // 2026-05-20 local

describe('username and password', () => {
  it('requires a username and trims it', () => {
    expect(checkUsername('  ada ')).toEqual({ ok: true, value: 'ada' });
    expect(checkUsername('   ')).toEqual({ ok: false, error: 'validation.username.required' });
  });
  it('requires a password and keeps it exactly as typed', () => {
    expect(checkPassword(' correct horse ')).toEqual({ ok: true, value: ' correct horse ' });
    expect(checkPassword('')).toEqual({ ok: false, error: 'validation.password.required' });
  });
});

describe('date of birth', () => {
  it('accepts a real past date in YYYY-MM-DD', () => {
    expect(checkDateOfBirth('1985-12-10', NOW)).toEqual({ ok: true, value: '1985-12-10' });
    expect(checkDateOfBirth(' 2000-02-29 ', NOW)).toEqual({ ok: true, value: '2000-02-29' });
    expect(checkDateOfBirth('2026-05-20', NOW).ok).toBe(true); // today
  });
  it.each([
    ['', 'validation.dateOfBirth.required'],
    ['10/12/1985', 'validation.dateOfBirth.format'],
    ['1985-1-10', 'validation.dateOfBirth.format'],
    ['19851210', 'validation.dateOfBirth.format'],
    ['1985-13-01', 'validation.dateOfBirth.invalid'],
    ['1985-02-30', 'validation.dateOfBirth.invalid'],
    ['1900-02-29', 'validation.dateOfBirth.invalid'],
    ['1899-12-31', 'validation.dateOfBirth.invalid'],
    ['2026-05-21', 'validation.dateOfBirth.future'],
    ['2030-01-01', 'validation.dateOfBirth.future'],
  ])('refuses %j', (input, error) => {
    expect(checkDateOfBirth(input, NOW)).toEqual({ ok: false, error });
  });
});

describe('PIN', () => {
  it.each(['1234', '246810', '123456789012'])('accepts %s', (pin) => {
    expect(checkPin(pin)).toEqual({ ok: true, value: pin });
  });
  it.each([
    ['', 'validation.pin.required'],
    ['123', 'validation.pin.format'],
    ['1234567890123', 'validation.pin.format'],
    ['12a4', 'validation.pin.format'],
    ['12 34', 'validation.pin.format'],
  ])('refuses %j', (pin, error) => {
    expect(checkPin(pin)).toEqual({ ok: false, error });
  });
});

describe('passcode', () => {
  it('accepts 6 or 9 digits and strips spaces', () => {
    expect(checkPasscode('123456')).toEqual({ ok: true, value: '123456' });
    expect(checkPasscode('123 456 789')).toEqual({ ok: true, value: '123456789' });
    expect(checkPasscode(' 123456789 ')).toEqual({ ok: true, value: '123456789' });
  });
  it.each([
    ['', 'validation.passcode.required'],
    ['   ', 'validation.passcode.required'],
    ['12345', 'validation.passcode.format'],
    ['1234567', 'validation.passcode.format'],
    ['1234567890', 'validation.passcode.format'],
    ['12345a', 'validation.passcode.format'],
    ['123-456', 'validation.passcode.format'],
  ])('refuses %j', (input, error) => {
    expect(checkPasscode(input)).toEqual({ ok: false, error });
  });
});

describe('phone number and extension', () => {
  it.each(['+1 (555) 010-0142', '555.010.0142', '0142345', '+44 20 7946 0958'])('accepts %s', (n) => {
    expect(checkPhoneNumber(n)).toEqual({ ok: true, value: n });
  });
  it.each([
    ['', 'validation.phone.required'],
    ['555-CALL-NOW', 'validation.phone.characters'],
    ['555 0142 #1', 'validation.phone.characters'],
    ['123456', 'validation.phone.length'],
    ['+1 234 567 890 123 456 789 01', 'validation.phone.length'],
  ])('refuses %j', (n, error) => {
    expect(checkPhoneNumber(n)).toEqual({ ok: false, error });
  });
  it('treats an empty extension as none and accepts up to 10 digits', () => {
    expect(checkExtension('')).toEqual({ ok: true, value: null });
    expect(checkExtension('  ')).toEqual({ ok: true, value: null });
    expect(checkExtension('42')).toEqual({ ok: true, value: '42' });
    expect(checkExtension('1234567890')).toEqual({ ok: true, value: '1234567890' });
  });
  it.each(['12345678901', 'x12', '1 2'])('refuses extension %j', (x) => {
    expect(checkExtension(x)).toEqual({ ok: false, error: 'validation.extension.format' });
  });
});

describe('six-digit code', () => {
  it('accepts 6 digits, spaces stripped', () => {
    expect(checkSixDigitCode('123 456')).toEqual({ ok: true, value: '123456' });
  });
  it('refuses anything else', () => {
    expect(checkSixDigitCode('')).toEqual({ ok: false, error: 'validation.code.required' });
    expect(checkSixDigitCode('12345')).toEqual({ ok: false, error: 'validation.code.format' });
    expect(checkSixDigitCode('1234567')).toEqual({ ok: false, error: 'validation.code.format' });
  });
});

describe('resync codes', () => {
  it('accepts two codes, the third optional', () => {
    expect(checkResyncCodes(['755224', '287082', ''])).toEqual({
      errors: [null, null, null],
      codes: ['755224', '287082'],
    });
    expect(checkResyncCodes(['755224', '287 082', '359152']).codes).toEqual([
      '755224',
      '287082',
      '359152',
    ]);
  });
  it('names each bad input', () => {
    expect(checkResyncCodes(['', '12345', 'abcdef'])).toEqual({
      errors: ['validation.code.required', 'validation.code.format', 'validation.code.format'],
      codes: null,
    });
    expect(checkResyncCodes(['755224'])).toEqual({
      errors: [null, 'validation.code.required'],
      codes: null,
    });
  });
});

describe('device name', () => {
  it('trims a name and takes letters, accents and emoji', () => {
    expect(checkDeviceName('  Clé de Zoë 🔑 ')).toEqual({ ok: true, value: 'Clé de Zoë 🔑' });
    expect(checkDeviceName('k'.repeat(64)).ok).toBe(true);
  });
  it('refuses an empty or too long name', () => {
    expect(checkDeviceName('  ')).toEqual({ ok: false, error: 'validation.keyName.required' });
    expect(checkDeviceName('k'.repeat(65))).toEqual({ ok: false, error: 'validation.keyName.length' });
  });
  it('refuses direction marks, separators and control characters', () => {
    for (const bad of [
      'key\u202egpj.exe',
      '\u202akey',
      '\u2066key\u2069',
      'a\u200eb',
      'a\u200fb',
      'a\u061cb',
      'line\u2028break',
      'para\u2029graph',
      'trailing\u2029',
      '\u2028leading',
      'tab\tkey',
      'c1\u0085',
    ]) {
      expect(checkDeviceName(bad), JSON.stringify(bad)).toEqual({
        ok: false,
        error: 'validation.keyName.characters',
      });
    }
  });
});
