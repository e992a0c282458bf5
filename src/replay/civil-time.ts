import { civilFromDays } from '../model/civil-date.js';

/** Calendar fields of canonical dates and timestamps, for targets that write them as text (proleptic Gregorian). */

const MICROS_PER_DAY = 86_400_000_000n;

const pad = (n: number | bigint, width: number): string => n.toString().padStart(width, '0');

/** `YYYY-MM-DD`; a year ≤ 0 is written with `bc` as PostgreSQL wants it (`0044-03-15 BC`) when asked. */
export function dateText(days: number, bc: 'suffix' | 'none' = 'none'): string {
  const { year, month, day } = civilFromDays(days);
  if (year <= 0 && bc === 'suffix') return `${pad(1 - year, 4)}-${pad(month, 2)}-${pad(day, 2)} BC`;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** `HH:MM:SS.ffffff` of microseconds within a day (86_400_000_000 → `24:00:00.000000`). */
export function timeOfDayText(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  const fraction = micros % 1_000_000n;
  return `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}.${pad(fraction, 6)}`;
}

/** A signed duration as `[-]H:MM:SS.ffffff` (hours unbounded). */
export function durationText(micros: bigint): string {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const seconds = abs / 1_000_000n;
  return `${negative ? '-' : ''}${seconds / 3600n}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}.${pad(abs % 1_000_000n, 6)}`;
}

/** Microseconds since the epoch → `YYYY-MM-DD HH:MM:SS.ffffff` (+ ` BC` for year ≤ 0 when asked). */
export function timestampText(micros: bigint, bc: 'suffix' | 'none' = 'none'): string {
  let days = micros / MICROS_PER_DAY;
  let within = micros % MICROS_PER_DAY;
  if (within < 0n) {
    within += MICROS_PER_DAY;
    days -= 1n;
  }
  const date = dateText(Number(days), bc);
  const time = timeOfDayText(within);
  return date.endsWith(' BC') ? `${date.slice(0, -3)} ${time} BC` : `${date} ${time}`;
}
