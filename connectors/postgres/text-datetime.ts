/**
 * Readers for PostgreSQL's date/time text under DateStyle=ISO and IntervalStyle=iso_8601. PostgreSQL's
 * calendar is the proleptic Gregorian one; year 1 BC is year 0.
 */
import { COLON, DOT, MINUS, PLUS, POW10, SPACE, expectChar, fail, twoDigits } from './text-reading.js';

/** Days from 1970-01-01 to the given proleptic Gregorian date (astronomical year numbering). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400; // 0 … 399
  const shiftedMonth = month > 2 ? month - 3 : month + 9; // March = 0
  const dayOfYear = Math.floor((153 * shiftedMonth + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

// The readers below return one number and leave their end offset (and any second result) in these
// module-level registers instead of allocating a result object per value. Set and read within one call.
let dateEnd = 0;
let clockSeconds = 0;
let clockMicros = 0;
let clockEnd = 0;
let offsetEnd = 0;

/** Reads `YYYY…-MM-DD` (4 or more year digits) from offset 0: the days since 1970-01-01; end in `dateEnd`. */
function readDate(text: string): number {
  const n = text.length;
  let i = 0;
  let year = 0;
  for (; i < n; i++) {
    const d = text.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) break;
    year = year * 10 + d;
  }
  if (i < 4 || i > 9) fail('expected a date as YYYY-MM-DD (DateStyle must be ISO)');
  expectChar(text, i, MINUS);
  const month = twoDigits(text, i + 1);
  expectChar(text, i + 3, MINUS);
  const day = twoDigits(text, i + 4);
  if (month < 1 || month > 12 || day < 1 || day > 31) fail('month or day out of range');
  dateEnd = i + 6;
  // " BC" can only be at the very end; the year is 1-based there (1 BC = year 0).
  if (text.charCodeAt(n - 1) === 67 /* C */ && text.charCodeAt(n - 2) === 66 /* B */ && text.charCodeAt(n - 3) === SPACE) {
    year = 1 - year;
  }
  return daysFromCivil(year, month, day);
}

/** After the value's last field: nothing, or " BC". */
function expectEnd(text: string, i: number): void {
  const n = text.length;
  if (i === n) return;
  if (i === n - 3 && text.charCodeAt(i) === SPACE && text.charCodeAt(i + 1) === 66 && text.charCodeAt(i + 2) === 67) return;
  fail(`unexpected text at offset ${i}`);
}

function infinity(text: string): number | undefined {
  if (text === 'infinity') return Infinity;
  if (text === '-infinity') return -Infinity;
  return undefined;
}

export function parseDate(text: string): number {
  const c = text.charCodeAt(0);
  if (c === 105 /* i */ || c === MINUS) {
    const inf = infinity(text);
    if (inf !== undefined) return inf;
  }
  const days = readDate(text);
  expectEnd(text, dateEnd);
  return days;
}

/** `HH:MM:SS[.ffffff]` from offset `i`: seconds of the day in `clockSeconds`, microseconds in `clockMicros`. */
function readClock(text: string, i: number, maxHour: number): void {
  const hour = twoDigits(text, i);
  expectChar(text, i + 2, COLON);
  const minute = twoDigits(text, i + 3);
  expectChar(text, i + 5, COLON);
  const second = twoDigits(text, i + 6);
  if (hour > maxHour || minute > 59 || second > 59) fail('time of day out of range');
  i += 8;
  let micros = 0;
  if (text.charCodeAt(i) === DOT) {
    i++;
    const start = i;
    for (;;) {
      const d = text.charCodeAt(i) - 48;
      if (!(d >= 0 && d <= 9)) break;
      micros = micros * 10 + d;
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 6) fail('expected 1 to 6 fraction digits');
    micros *= POW10[6 - digits]!;
  }
  clockSeconds = hour * 3600 + minute * 60 + second;
  clockMicros = micros;
  clockEnd = i;
}

/** `+HH`, `-HH:MM`, `+HH:MM:SS` from offset `i`, as seconds east of UTC (ISO sign); end in `offsetEnd`. */
function readOffset(text: string, i: number): number {
  const sign = text.charCodeAt(i);
  if (sign !== PLUS && sign !== MINUS) fail(`expected a UTC offset at offset ${i}`);
  let seconds = twoDigits(text, i + 1) * 3600;
  i += 3;
  if (text.charCodeAt(i) === COLON) {
    seconds += twoDigits(text, i + 1) * 60;
    i += 3;
    if (text.charCodeAt(i) === COLON) {
      seconds += twoDigits(text, i + 1);
      i += 3;
    }
  }
  offsetEnd = i;
  return sign === MINUS ? -seconds : seconds;
}

/** seconds·10⁶ + micros as a bigint; through a double while that is exact (|value| < 2^53). */
function microsOf(seconds: number, micros: number): bigint {
  if (seconds > -9e9 && seconds < 9e9) return BigInt(seconds * 1_000_000 + micros);
  return BigInt(seconds) * 1_000_000n + BigInt(micros);
}

export function parseTimestamp(text: string): bigint | number {
  const c = text.charCodeAt(0);
  if (c === 105 /* i */ || c === MINUS) {
    const inf = infinity(text);
    if (inf !== undefined) return inf;
  }
  const days = readDate(text);
  expectChar(text, dateEnd, SPACE);
  readClock(text, dateEnd + 1, 23);
  expectEnd(text, clockEnd);
  return microsOf(days * 86400 + clockSeconds, clockMicros);
}

export function parseTimestampTz(text: string): bigint | number {
  const c = text.charCodeAt(0);
  if (c === 105 /* i */ || c === MINUS) {
    const inf = infinity(text);
    if (inf !== undefined) return inf;
  }
  const days = readDate(text);
  expectChar(text, dateEnd, SPACE);
  readClock(text, dateEnd + 1, 23);
  const offset = readOffset(text, clockEnd);
  expectEnd(text, offsetEnd);
  return microsOf(days * 86400 + clockSeconds - offset, clockMicros);
}

export function parseTime(text: string): bigint {
  readClock(text, 0, 24);
  if (clockEnd !== text.length) fail(`unexpected text at offset ${clockEnd}`);
  if (clockSeconds > 86400 || (clockSeconds === 86400 && clockMicros > 0)) fail('time of day past 24:00:00');
  return BigInt(clockSeconds * 1_000_000 + clockMicros);
}

/** timetz → the local time of day as written and its offset in seconds east of UTC (`+05:30` → 19800). */
export function parseTimeTz(text: string): { micros: bigint; offsetSeconds: number } {
  readClock(text, 0, 24);
  if (clockSeconds > 86400 || (clockSeconds === 86400 && clockMicros > 0)) fail('time of day past 24:00:00');
  const micros = BigInt(clockSeconds * 1_000_000 + clockMicros);
  const offsetSeconds = readOffset(text, clockEnd);
  if (offsetEnd !== text.length) fail(`unexpected text at offset ${offsetEnd}`);
  return { micros, offsetSeconds };
}

/**
 * IntervalStyle=iso_8601: `P[nY][nM][nD][T[nH][nM][n[.f]S]]`, each number signed on its own (`P-1Y-2M3DT-4H`),
 * `PT0S` for zero. Months, days and the time part are kept apart, as PostgreSQL stores them.
 */
export function parseIsoInterval(text: string): { months: number; days: number; micros: bigint } {
  if (text.charCodeAt(0) !== 80 /* P */) {
    if (text === 'infinity' || text === '-infinity') fail('infinite intervals (PostgreSQL 17+) have no interval value');
    fail('expected an ISO 8601 interval "P…" (IntervalStyle must be iso_8601)');
  }
  const n = text.length;
  if (n < 3) fail('empty interval');
  let i = 1;
  let months = 0;
  let days = 0;
  let seconds = 0;
  let micros = 0;
  let inTime = false;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (c === 84 /* T */) {
      if (inTime) fail('second "T"');
      inTime = true;
      i++;
      continue;
    }
    let negative = false;
    if (c === MINUS) {
      negative = true;
      i++;
    }
    const start = i;
    let value = 0;
    for (;;) {
      const d = text.charCodeAt(i) - 48;
      if (!(d >= 0 && d <= 9)) break;
      value = value * 10 + d;
      i++;
    }
    if (i === start || i - start > 15) fail(`expected a number at offset ${start}`);
    let fraction = 0;
    c = text.charCodeAt(i);
    if (c === DOT) {
      i++;
      const fractionStart = i;
      for (;;) {
        const d = text.charCodeAt(i) - 48;
        if (!(d >= 0 && d <= 9)) break;
        fraction = fraction * 10 + d;
        i++;
      }
      const digits = i - fractionStart;
      if (digits === 0 || digits > 6) fail('expected 1 to 6 fraction digits');
      fraction *= POW10[6 - digits]!;
      c = text.charCodeAt(i);
      if (!inTime || c !== 83 /* S */) fail('a fraction is only expected on seconds');
    }
    i++;
    if (negative) {
      value = -value;
      fraction = -fraction;
    }
    if (!inTime) {
      if (c === 89 /* Y */) months += value * 12;
      else if (c === 77 /* M */) months += value;
      else if (c === 68 /* D */) days += value;
      else fail(`unexpected interval unit at offset ${i - 1}`);
    } else if (c === 72 /* H */) seconds += value * 3600;
    else if (c === 77 /* M */) seconds += value * 60;
    else if (c === 83 /* S */) {
      seconds += value;
      micros += fraction;
    } else fail(`unexpected interval unit at offset ${i - 1}`);
  }
  return { months, days, micros: microsOf(seconds, micros) };
}
