/** Readers for PostgreSQL's text of scalar values (under REQUIRED_SESSION_SETTINGS), into canonical values. */
import { DOT, MINUS, PLUS, BACKSLASH, digitAt, fail } from './text-reading.js';

export function parseBoolean(text: string): boolean {
  if (text === 't') return true;
  if (text === 'f') return false;
  return fail('expected "t" or "f"');
}

/** A signed decimal integer of at most 15 digits (exact as a double). */
function parseSmallInteger(text: string): number {
  const n = text.length;
  let i = 0;
  let negative = false;
  if (text.charCodeAt(0) === MINUS) {
    negative = true;
    i = 1;
  }
  if (i === n || n - i > 15) fail('expected an integer');
  let value = 0;
  for (; i < n; i++) {
    const d = text.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) fail('expected an integer');
    value = value * 10 + d;
  }
  return negative ? -value : value;
}

export function parseInt16(text: string): number {
  const value = parseSmallInteger(text);
  if (value < -32768 || value > 32767) fail('out of the int2 range');
  return value;
}

export function parseInt32(text: string): number {
  const value = parseSmallInteger(text);
  if (value < -2147483648 || value > 2147483647) fail('out of the int4 range');
  return value;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function parseInt64(text: string): bigint {
  const n = text.length;
  const start = text.charCodeAt(0) === MINUS ? 1 : 0;
  if (n - start <= 15) return BigInt(parseSmallInteger(text));
  if (n - start > 19) fail('out of the int8 range');
  for (let i = start; i < n; i++) {
    const d = text.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) fail('expected an integer');
  }
  const value = BigInt(text);
  if (value < INT64_MIN || value > INT64_MAX) fail('out of the int8 range');
  return value;
}

/** float8: the shortest round-trip text (or NaN, Infinity, -Infinity); Number() reads it correctly rounded. */
export function parseFloat64(text: string): number {
  const value = Number(text);
  if (text.length === 0 || (value !== value && text !== 'NaN')) fail('expected a float');
  return value;
}

/**
 * float4 → the exact float32 value (as a number). Number() rounds the text to a double first; when that
 * double falls exactly halfway between two float32 values, the second rounding could go the wrong way, so
 * that (never seen, but possible) case is settled by comparing the text with the double exactly.
 */
export function parseFloat32(text: string): number {
  const x = parseFloat64(text);
  const f = Math.fround(x);
  if (f === x || x !== x || !Number.isFinite(f)) return f;
  const other = 2 * x - f;
  if (other === f || Math.fround(other) !== other) return f; // x is not a float32 midpoint
  const cmp = compareDecimalWithDouble(text, x);
  if (cmp === 0) return f; // exactly halfway: ties-to-even, as Math.fround did
  return (cmp > 0) === (other > f) ? other : f;
}

/** Sign of (the decimal `text` − `x`), exactly; `text` is a finite decimal that rounds to the non-zero `x`. */
function compareDecimalWithDouble(text: string, x: number): number {
  let i = 0;
  const negative = text.charCodeAt(0) === MINUS;
  if (negative || text.charCodeAt(0) === PLUS) i = 1;
  let digits = '';
  let exponent = 0;
  let seenDot = false;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT) seenDot = true;
    else if (c === 101 || c === 69) {
      exponent += Number(text.slice(i + 1));
      break;
    } else {
      digits += text[i];
      if (seenDot) exponent -= 1;
    }
  }
  // |x| = mantissa · 2^binaryExponent
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const binaryExponent = (biased === 0 ? 1 : biased) - 1075;
  let left = BigInt(digits === '' ? '0' : digits);
  let right = mantissa;
  if (exponent >= 0) left *= 10n ** BigInt(exponent);
  else right *= 10n ** BigInt(-exponent);
  if (binaryExponent >= 0) right <<= BigInt(binaryExponent);
  else left <<= BigInt(-binaryExponent);
  const magnitude = left === right ? 0 : left > right ? 1 : -1;
  return negative ? -magnitude : magnitude;
}

/** numeric: kept as its exact text after checking its shape (digits, one '.', optional leading '-'). */
export function parseNumeric(text: string): string {
  const n = text.length;
  let i = text.charCodeAt(0) === MINUS ? 1 : 0;
  let digits = 0;
  let dot = false;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === DOT && !dot) dot = true;
    else fail('expected a numeric');
  }
  if (digits === 0) fail('expected a numeric');
  return text;
}

export function parseNumericWithSpecials(text: string): string {
  const c = text.charCodeAt(0);
  if (c === 78 /* N */ || c === 73 /* I */ || (c === MINUS && text.charCodeAt(1) === 73)) {
    if (text === 'NaN' || text === 'Infinity' || text === '-Infinity') return text;
    fail('expected a numeric');
  }
  return parseNumeric(text);
}

/** money under lc_monetary=C: `$1,234.56`, `-$0.01` → "1234.56", "-0.01". */
export function parseMoney(text: string): string {
  const n = text.length;
  let i = 0;
  let out = '';
  if (text.charCodeAt(0) === MINUS) {
    out = '-';
    i = 1;
  }
  if (text.charCodeAt(i) !== 36 /* $ */) fail('expected money as "$1,234.56" (lc_monetary must be C)');
  i++;
  let start = i;
  let digits = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 44 /* , */) {
      out += text.slice(start, i);
      start = i + 1;
    } else if (c === DOT) break;
    else fail('expected money as "$1,234.56" (lc_monetary must be C)');
  }
  if (digits === 0 || i !== n - 3) fail('expected money with 2 fraction digits (lc_monetary must be C)');
  digitAt(text, n - 2);
  digitAt(text, n - 1);
  return out + text.slice(start);
}

export function parseUuid(text: string): string {
  if (text.length !== 36 || text.charCodeAt(8) !== MINUS || text.charCodeAt(13) !== MINUS) fail('expected a uuid');
  return text;
}

/** bytea_output=hex: `\x` then two hex digits per byte. */
export function parseByteaHex(text: string): Uint8Array {
  if (text.charCodeAt(0) !== BACKSLASH || text.charCodeAt(1) !== 120 /* x */) fail('expected bytea as "\\x…" (bytea_output must be hex)');
  const length = (text.length - 2) / 2;
  if (!Number.isInteger(length)) fail('odd number of hex digits');
  const bytes = new Uint8Array(length);
  if (length === 0) return bytes;
  if (length <= 16) {
    for (let i = 0, p = 2; i < length; i++, p += 2) bytes[i] = (hexDigit(text, p) << 4) | hexDigit(text, p + 1);
    return bytes;
  }
  const written = Buffer.from(bytes.buffer, bytes.byteOffset, length).write(text.slice(2), 'hex');
  if (written !== length) fail('expected hex digits');
  return bytes;
}

function hexDigit(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return fail(`expected a hex digit at offset ${i}`);
}

export function parseBits(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 48 && c !== 49) fail('expected a bit string');
  }
  return text;
}

export function parseFixedBits(text: string, length: number): string {
  if (text.length !== length) fail(`expected ${length} bits`);
  return parseBits(text);
}
