/**
 * PostgreSQL log sequence numbers as 64-bit unsigned bigints. The text form is two hex numbers, the high
 * and low 32 bits, `0/177AD38`; pg-logical-replication also writes them zero-padded (`00000000/0177AD38`).
 * Compare LSNs only as numbers: the texts of the two shapes do not sort alike.
 */
export type Lsn = bigint;

const MAX_LSN = (1n << 64n) - 1n;
const HALF = /^[0-9A-Fa-f]{1,8}$/;

export class LsnFormatError extends Error {
  constructor(text: string) {
    super(`not a PostgreSQL LSN: ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)} (expected hex/hex, e.g. 0/16B3780)`);
    this.name = 'LsnFormatError';
  }
}

/** `0/16B3780` or `00000000/016B3780` → 0x16B3780n. */
export function parseLsn(text: string): Lsn {
  const slash = text.indexOf('/');
  const high = text.slice(0, slash);
  const low = text.slice(slash + 1);
  if (slash < 0 || !HALF.test(high) || !HALF.test(low)) throw new LsnFormatError(text);
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

/** PostgreSQL's own spelling (pg_lsn output): upper-case hex, no padding, `0/16B3780`. */
export function formatLsn(lsn: Lsn): string {
  if (lsn < 0n || lsn > MAX_LSN) throw new RangeError(`LSN out of range: ${lsn}`);
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

export function compareLsn(a: Lsn, b: Lsn): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const maxLsn = (a: Lsn, b: Lsn): Lsn => (a > b ? a : b);
