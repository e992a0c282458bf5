import { civilFromDays } from '../model/civil-date.js';
/**
 * The temporal values of Debezium's semantic types, computed from logtap's canonical values exactly as
 * Debezium 3.x computes them from the database's (io.debezium.time.* and the connectors' converters).
 */

const MICROS_PER_DAY = 86_400_000_000n;
const MICROS_PER_HOUR = 3_600_000_000n;
const MICROS_PER_MINUTE = 60_000_000n;

/**
 * PostgreSQL's infinite values as Debezium carries them. A `date` infinity is parsed by Debezium into the
 * LocalDate -5877611-06-21 (+infinity) / -5877611-06-22 (-infinity), whose epoch days these are; a `timestamp`
 * infinity becomes the PostgreSQL JDBC driver's DATE_POSITIVE/NEGATIVE_INFINITY taken as microseconds.
 */
export const PG_INFINITY = {
  dateDays: { positive: -2147472692, negative: -2147472691 },
  timestampMicros: { positive: 9223372036825200000n, negative: -9223372036832400000n },
  zonedTimestamp: { positive: 'infinity', negative: '-infinity' },
} as const;

const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));


const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** java.time's ISO_LOCAL_DATE year: 4 digits, `+` beyond 9999, `-` before year 0. */
function isoYear(year: number): string {
  if (year > 9999) return `+${year}`;
  if (year < 0) return `-${pad(-year, 4)}`;
  return pad(year, 4);
}

/**
 * `.fraction` of a time: exactly `width` digits (1…9), or, with `width` null, as few as needed and none
 * for a whole second (java.time's ISO formatters).
 */
function fraction(microsOfSecond: number, width: number | null): string {
  if (width === null && microsOfSecond === 0) return '';
  const nanos = pad(microsOfSecond * 1000, 9);
  if (width !== null) return `.${nanos.slice(0, width)}`;
  const trimmed = nanos.replace(/0+$/, '');
  return trimmed === '' ? '' : `.${trimmed}`;
}

/** `HH:mm:ss[.f]` of a second of the day and the microseconds within it. */
function timeOfDay(secondOfDay: number, microsOfSecond: number, width: number | null): string {
  const h = Math.floor(secondOfDay / 3600);
  const m = Math.floor((secondOfDay % 3600) / 60);
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(secondOfDay % 60, 2)}${fraction(microsOfSecond, width)}`;
}

/**
 * io.debezium.time.ZonedTimestamp: the instant in UTC as ISO-8601 (`2020-01-01T10:00:00.120000Z`), with
 * exactly `fractionDigits` fraction digits (the column's precision) when 1…9, else as few as needed.
 */
export function zonedTimestampText(epochMicros: bigint, fractionDigits: number | null): string {
  // Seconds of a 64-bit µs timestamp fit a number exactly; one BigInt division splits them off.
  const seconds = Number(floorDiv(epochMicros, 1_000_000n));
  const micros = Number(epochMicros - BigInt(seconds) * 1_000_000n);
  const days = Math.floor(seconds / 86400);
  const { year, month, day } = civilFromDays(days);
  const width = fractionDigits !== null && fractionDigits >= 1 && fractionDigits <= 9 ? fractionDigits : null;
  return `${isoYear(year)}-${pad(month, 2)}-${pad(day, 2)}T${timeOfDay(seconds - days * 86400, micros, width)}Z`;
}

/**
 * io.debezium.time.ZonedTime: a time of day with its offset, moved to UTC (`10:15:30.5Z`). Like Debezium's
 * OffsetTime, the result wraps around midnight.
 */
export function zonedTimeText(localMicros: bigint, offsetSeconds: number): string {
  const utc = Number(((localMicros - BigInt(offsetSeconds) * 1_000_000n) % MICROS_PER_DAY + MICROS_PER_DAY) % MICROS_PER_DAY);
  return `${timeOfDay(Math.floor(utc / 1e6), utc % 1e6, null)}Z`;
}

/** Java's `(long) double`: toward zero, saturating at the long range. */
function doubleToLong(x: number): bigint {
  if (Number.isNaN(x)) return 0n;
  if (x >= 9223372036854775807) return (1n << 63n) - 1n;
  if (x <= -9223372036854775808) return -(1n << 63n);
  return BigInt(Math.trunc(x));
}

/** Debezium's average month for MicroDuration: 365.25 / 12 days. */
const DAYS_PER_MONTH_AVG = 365.25 / 12.0;

/**
 * io.debezium.time.MicroDuration: Debezium's approximate microseconds of a PostgreSQL interval, computed in
 * doubles as Debezium does (months of 30.4375 days; the time part split into hours, minutes and seconds
 * like the JDBC driver's PGInterval), then truncated to a long.
 */
export function microDuration(interval: { months: number; days: number; micros: bigint }): bigint {
  const { micros } = interval;
  const hours = Number(micros / MICROS_PER_HOUR);
  const minutes = Number((micros % MICROS_PER_HOUR) / MICROS_PER_MINUTE);
  const seconds = Number(micros % MICROS_PER_MINUTE) / 1e6;
  const numberOfDays = interval.months * DAYS_PER_MONTH_AVG + interval.days;
  const numberOfSeconds = ((numberOfDays * 24 + hours) * 60 + minutes) * 60 + seconds;
  return doubleToLong(numberOfSeconds * 1e6);
}
