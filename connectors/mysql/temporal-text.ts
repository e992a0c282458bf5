/**
 * MySQL temporal text, as zongji writes it with `dateStrings: true`, to canonical numbers — exact integer
 * arithmetic on the proleptic Gregorian calendar, no Date objects. Each parser returns `undefined` for the
 * all-zero value ('0000-00-00…') so that the caller applies its zero-date policy, and throws a plain Error (the
 * caller adds the column) for anything else that names no real instant: '2020-00-15', '2004-02-31' (stored under
 * ALLOW_INVALID_DATES), malformed text.
 */

const MICROS_PER_SECOND = 1_000_000n;
const FRACTION_SCALE = [1, 100_000, 10_000, 1_000, 100, 10, 1];

/** 'YYYY-MM-DD' → days since 1970-01-01. */
export function parseDateText(text: string): number | undefined {
  if (text.length !== 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) throw malformed('date', text);
  const year = digits(text, 0, 4, 'date');
  const month = digits(text, 5, 7, 'date');
  const day = digits(text, 8, 10, 'date');
  if (year === 0 && month === 0 && day === 0) return undefined;
  checkDate(year, month, day, text);
  return daysFromCivil(year, month, day);
}

/** 'YYYY-MM-DD HH:MM:SS[.f…]' → microseconds since 1970-01-01T00:00:00 (of whatever zone the text is in). */
export function parseDateTimeText(text: string): bigint | undefined {
  if (text.length < 19 || text.charCodeAt(10) !== 32 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) {
    throw malformed('datetime', text);
  }
  const days = parseDateText(text.slice(0, 10));
  const hour = digits(text, 11, 13, 'datetime');
  const minute = digits(text, 14, 16, 'datetime');
  const second = digits(text, 17, 19, 'datetime');
  const micros = fraction(text, 19, 'datetime');
  if (days === undefined) {
    if (hour === 0 && minute === 0 && second === 0 && micros === 0) return undefined;
    throw new Error(`datetime ${JSON.stringify(text)} has a zero date with a non-zero time`);
  }
  if (hour > 23 || minute > 59 || second > 59) throw malformed('datetime', text);
  const seconds = days * 86_400 + hour * 3_600 + minute * 60 + second; // |seconds| < 2^38: exact as a number
  return BigInt(seconds) * MICROS_PER_SECOND + BigInt(micros);
}

/**
 * How zongji printed a TIME, which depends on the column's binlog type: 'time2' (type 19, MySQL ≥ 5.6 format),
 * 'classic' (type 11 without fraction: the pre-5.6 HHMMSS format) or 'exact' (MariaDB's 5.3 "hires" TIME, type 11
 * with a fraction, which zongji prints correctly).
 */
export type TimeTextForm = 'time2' | 'classic' | 'exact';

/**
 * '[-]HH:MM:SS[.f…]' (hours up to 838) → signed microseconds.
 *
 * zongji 0.9.0 misprints a negative TIME whose fraction is zero when its seconds (or minutes and seconds) are
 * zero: it subtracts one from the packed value and adds it back to the seconds field only. In TIME2 (fields packed
 * in 6-bit groups) '-01:00:00' arrives as '-00:63:64'; in the classic format (HHMMSS as a decimal) as '-00:99:00'
 * (the seconds field 100 printed through a two-digit pad). The borrow is undone here in the matching radix.
 */
export function parseTimeText(text: string, form: TimeTextForm): bigint {
  const negative = text.charCodeAt(0) === 45;
  const start = negative ? 1 : 0;
  const colon = text.indexOf(':', start);
  if (colon < start + 2 || colon > start + 3 || text.charCodeAt(colon + 3) !== 58 || text.length < colon + 6) throw malformed('time', text);
  let hour = digits(text, start, colon, 'time');
  let minute = digits(text, colon + 1, colon + 3, 'time');
  let second = digits(text, colon + 4, colon + 6, 'time');
  const micros = fraction(text, colon + 6, 'time');
  if (negative && micros === 0 && form !== 'exact') {
    if (form === 'time2' && second === 64) {
      const packed = ((hour << 12) | (minute << 6) | 63) + 1;
      hour = packed >> 12;
      minute = (packed >> 6) & 63;
      second = packed & 63;
    } else if (form === 'classic' && second === 0) {
      const packed = hour * 10_000 + minute * 100 + 99 + 1;
      hour = Math.floor(packed / 10_000);
      minute = Math.floor(packed / 100) % 100;
      second = packed % 100;
    }
  }
  if (minute > 59 || second > 59 || hour > 838) throw malformed('time', text);
  const magnitude = ((hour * 60 + minute) * 60 + second) * 1_000_000 + micros; // < 2^42: exact
  return BigInt(negative ? -magnitude : magnitude);
}

/** Days from 1970-01-01 to the given proleptic Gregorian date (year 0 = 1 BC, a leap year). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthFromMarch = (month + 9) % 12;
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function checkDate(year: number, month: number, day: number, text: string): void {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new Error(`date ${JSON.stringify(text)} is not a calendar date (zero part or invalid day) and has no exact day number`);
  }
}

/** Digits after a '.' at `at` (none, or 1–6) as microseconds. */
function fraction(text: string, at: number, what: string): number {
  if (text.length === at) return 0;
  const count = text.length - at - 1;
  if (text.charCodeAt(at) !== 46 || count < 1 || count > 6) throw malformed(what, text);
  return digits(text, at + 1, text.length, what) * FRACTION_SCALE[count]!;
}

function digits(text: string, from: number, to: number, what: string): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) throw malformed(what, text);
    value = value * 10 + d;
  }
  return value;
}

const malformed = (what: string, text: string): Error => new Error(`malformed ${what} text ${JSON.stringify(text)}`);
