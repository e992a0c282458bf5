/** Shared pieces of the PostgreSQL text readers: character codes, digit readers, the format error. */
import { ValueFormatError } from './decode-error.js';

export const MINUS = 45;
export const PLUS = 43;
export const DOT = 46;
export const COLON = 58;
export const SPACE = 32;
export const QUOTE = 34;
export const BACKSLASH = 92;
export const LBRACE = 123;
export const RBRACE = 125;
export const LBRACKET = 91;

/** 10^0 … 10^6, to scale 1–6 fraction digits to microseconds. */
export const POW10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];

export const identity = (text: string): string => text;

export function fail(what: string): never {
  throw new ValueFormatError(what);
}

/** The digit at `i`, or an error (also past the end: charCodeAt gives NaN there). */
export function digitAt(text: string, i: number): number {
  const d = text.charCodeAt(i) - 48;
  if (!(d >= 0 && d <= 9)) fail(`expected a digit at offset ${i}`);
  return d;
}

export function twoDigits(text: string, i: number): number {
  return digitAt(text, i) * 10 + digitAt(text, i + 1);
}

export function expectChar(text: string, i: number, code: number): void {
  if (text.charCodeAt(i) !== code) fail(`expected ${JSON.stringify(String.fromCharCode(code))} at offset ${i}`);
}
