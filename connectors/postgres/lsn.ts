/**
 * PostgreSQL log sequence numbers as 64-bit unsigned bigints. The text form is two hex numbers, the high
 * and low 32 bits, `0/177AD38`; pg-logical-replication also writes them zero-padded (`00000000/0177AD38`).
 * Compare LSNs only as numbers: the texts of the two shapes do not sort alike.
 */
export type Lsn = bigint;

const MAX_LSN = (1n << 64n) - 1n;
/** Up to here an LSN is exact as a double (every server's WAL for a long time to come). */
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

export class LsnFormatError extends Error {
  constructor(text: string) {
    super(`not a PostgreSQL LSN: ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)} (expected hex/hex, e.g. 0/16B3780)`);
    this.name = 'LsnFormatError';
  }
}

/** `0/16B3780` or `00000000/016B3780` → 0x16B3780n. */
export function parseLsn(text: string): Lsn {
  // By hand, not by regex and BigInt of substrings: every streamed change's WAL position passes here.
  const slash = text.indexOf('/');
  const high = hexHalf(text, 0, slash);
  const low = slash < 0 ? -1 : hexHalf(text, slash + 1, text.length);
  if (high < 0 || low < 0) throw new LsnFormatError(text);
  // Below 2^53 the number is exact as a double: one BigInt instead of three.
  return high < 0x200000 ? BigInt(high * 0x1_0000_0000 + low) : (BigInt(high) << 32n) | BigInt(low);
}

/** 1–8 hex digits in text[start, end) as a number, or -1. */
function hexHalf(text: string, start: number, end: number): number {
  if (end - start < 1 || end - start > 8) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/** PostgreSQL's own spelling (pg_lsn output): upper-case hex, no padding, `0/16B3780`. */
export function formatLsn(lsn: Lsn): string {
  if (lsn < 0n || lsn > MAX_LSN) throw new RangeError(`LSN out of range: ${lsn}`);
  if (lsn <= MAX_EXACT) {
    const n = Number(lsn);
    const high = Math.floor(n / 0x1_0000_0000);
    return `${high.toString(16).toUpperCase()}/${(n - high * 0x1_0000_0000).toString(16).toUpperCase()}`;
  }
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

export function compareLsn(a: Lsn, b: Lsn): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const maxLsn = (a: Lsn, b: Lsn): Lsn => (a > b ? a : b);
