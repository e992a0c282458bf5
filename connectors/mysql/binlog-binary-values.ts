import { daysFromCivil, daysInMonth, parseDateTimeText } from './temporal-text.js';

/**
 * DATETIME2, TIMESTAMP2 and DECIMAL values straight from their bytes in a binlog row image (MySQL ≥ 5.6 formats,
 * which MariaDB writes too). zongji would print them as text (through Date objects for TIMESTAMP) that the value
 * decoders then parse back; table-map-binding has zongji hand these bytes over instead (see `binaryImageWidth`).
 *
 * The results are those of the text path exactly: any value that is not a plain valid date-time (zero dates, zero
 * parts, invalid days) is printed as zongji prints it and handed to the text parser, so the zero-date policy and the
 * errors stay the text path's own.
 */

const DIGITS_PER_WORD = 9;
/** Bytes of a leftover group of 0–8 decimal digits. */
const GROUP_BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4];
/** Bytes of a fraction of 0–6 digits (fsp). */
const FRACTION_BYTES = [0, 1, 1, 2, 2, 3, 3];
/** Microseconds per stored fraction unit: the stored fraction counts hundredths, ten-thousandths or millionths. */
const FRACTION_UNIT = [0, 10_000, 10_000, 100, 100, 1, 1];
const MICROS_PER_SECOND = 1_000_000n;

/** Bytes of a DECIMAL(precision, scale) value. */
export function decimalWidth(precision: number, scale: number): number {
  const integral = precision - scale;
  return Math.floor(integral / DIGITS_PER_WORD) * 4 + GROUP_BYTES[integral % DIGITS_PER_WORD]!
    + Math.floor(scale / DIGITS_PER_WORD) * 4 + GROUP_BYTES[scale % DIGITS_PER_WORD]!;
}

export const datetime2Width = (fsp: number): number => 5 + FRACTION_BYTES[fsp]!;
export const timestamp2Width = (fsp: number): number => 4 + FRACTION_BYTES[fsp]!;

/**
 * A DECIMAL as exact text: '-' for negatives, the integer digits without leading zeros (at least one), '.' and
 * exactly `scale` fraction digits — zongji's text for the same bytes. Throws on a digit group beyond its digits.
 */
export function readNewDecimal(bytes: Uint8Array, precision: number, scale: number): string {
  const integral = precision - scale;
  const fullIntegral = Math.floor(integral / DIGITS_PER_WORD);
  const leadIntegral = integral % DIGITS_PER_WORD;
  const fullFraction = Math.floor(scale / DIGITS_PER_WORD);
  const tailFraction = scale % DIGITS_PER_WORD;
  if (bytes.length !== decimalWidth(precision, scale)) throw new Error(`DECIMAL(${precision},${scale}) image of ${bytes.length} bytes`);
  const positive = (bytes[0]! & 0x80) !== 0;
  // Negative values are stored with every bit flipped; the sign bit (first byte) is flipped in both.
  const flip = positive ? 0 : 0xff;
  let at = 0;
  let integer = '';
  if (leadIntegral > 0) {
    const size = GROUP_BYTES[leadIntegral]!;
    const value = decimalGroup(bytes, at, size, flip, leadIntegral);
    at += size;
    if (value !== 0) integer = String(value);
  }
  for (let i = 0; i < fullIntegral; i++, at += 4) {
    const value = decimalGroup(bytes, at, 4, flip, DIGITS_PER_WORD);
    integer = integer === '' ? (value === 0 ? '' : String(value)) : integer + String(value).padStart(DIGITS_PER_WORD, '0');
  }
  let text = (positive ? '' : '-') + (integer === '' ? '0' : integer);
  if (scale === 0) return text;
  text += '.';
  for (let i = 0; i < fullFraction; i++, at += 4) text += String(decimalGroup(bytes, at, 4, flip, DIGITS_PER_WORD)).padStart(DIGITS_PER_WORD, '0');
  if (tailFraction > 0) text += String(decimalGroup(bytes, at, GROUP_BYTES[tailFraction]!, flip, tailFraction)).padStart(tailFraction, '0');
  return text;
}

const POWERS_OF_TEN = Array.from({ length: 10 }, (_, i) => 10 ** i);

/** One big-endian group of `digits` decimal digits, `size` bytes at `at`. */
function decimalGroup(bytes: Uint8Array, at: number, size: number, flip: number, digits: number): number {
  let value = bytes[at]! ^ flip ^ (at === 0 ? 0x80 : 0);
  for (let i = 1; i < size; i++) value = value * 256 + (bytes[at + i]! ^ flip);
  if (value >= POWERS_OF_TEN[digits]!) throw new Error(`a DECIMAL image holds ${value} in a group of ${digits} digits`);
  return value;
}

/**
 * A DATETIME2(fsp) as microseconds since 1970-01-01 of its own (zone-less) clock; undefined for the zero date —
 * as parseDateTimeText of zongji's text.
 */
export function readDatetime2(bytes: Uint8Array, fsp: number): bigint | undefined {
  if (bytes.length !== datetime2Width(fsp)) throw new Error(`DATETIME(${fsp}) image of ${bytes.length} bytes`);
  // 1 sign bit (set), 17 bits year*13+month, 5 day, 5 hour, 6 minute, 6 second.
  const high = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  const low = ((bytes[1]! << 24) | (bytes[2]! << 16) | (bytes[3]! << 8) | bytes[4]!) >>> 0;
  const yearMonth = (high >>> 14) & 0x1ffff;
  const year = Math.floor(yearMonth / 13);
  const month = yearMonth % 13;
  const day = (low >>> 17) & 0x1f;
  const hour = (low >>> 12) & 0x1f;
  const minute = (low >>> 6) & 0x3f;
  const second = low & 0x3f;
  const fraction = readFraction(bytes, 5, fsp);
  if (fraction === undefined || year > 9999 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    // The rare and the invalid: zongji's text, through the text parser (zero dates, zero parts, errors).
    return parseDateTimeText(zongjiDateTimeText(year, month, day, hour, minute, second, bytes, 5, fsp));
  }
  const seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second; // < 2^38: exact
  return BigInt(seconds) * MICROS_PER_SECOND + BigInt(fraction);
}

/**
 * A TIMESTAMP2(fsp) as microseconds since the epoch (UTC); undefined for the zero timestamp. The seconds are
 * unsigned (MariaDB ≥ 11.5 stores them up to 2106).
 */
export function readTimestamp2(bytes: Uint8Array, fsp: number): bigint | undefined {
  if (bytes.length !== timestamp2Width(fsp)) throw new Error(`TIMESTAMP(${fsp}) image of ${bytes.length} bytes`);
  const seconds = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  const fraction = readFraction(bytes, 4, fsp);
  if (fraction === undefined) throw new Error(`TIMESTAMP(${fsp}) image with an invalid fraction`);
  if (seconds === 0 && fraction === 0) return undefined;
  return BigInt(seconds) * MICROS_PER_SECOND + BigInt(fraction);
}

/** The fraction at `at` in microseconds; undefined when it is no valid fraction of `fsp` digits. */
function readFraction(bytes: Uint8Array, at: number, fsp: number): number | undefined {
  if (fsp === 0) return 0;
  let stored = 0;
  for (let i = 0; i < FRACTION_BYTES[fsp]!; i++) stored = stored * 256 + bytes[at + i]!;
  // An odd fsp stores one digit more, always 0.
  if (stored >= POWERS_OF_TEN[FRACTION_BYTES[fsp]! * 2]! || (fsp % 2 === 1 && stored % 10 !== 0)) return undefined;
  return stored * FRACTION_UNIT[fsp]!;
}

/** DATETIME text as zongji prints it (with `dateStrings`), for the values the fast path leaves to the text parser. */
function zongjiDateTimeText(year: number, month: number, day: number, hour: number, minute: number, second: number, bytes: Uint8Array, at: number, fsp: number): string {
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  let text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)} ${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}`;
  if (fsp > 0) {
    let stored = 0;
    for (let i = 0; i < FRACTION_BYTES[fsp]!; i++) stored = stored * 256 + bytes[at + i]!;
    text += `.${String(fsp % 2 === 1 ? stored / 10 : stored).padStart(fsp, '0')}`;
  }
  return text;
}
