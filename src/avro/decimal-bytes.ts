/**
 * Exact decimals as Avro `decimal` bytes: the unscaled value as big-endian two's complement, in the
 * fewest bytes. The canonical value is the decimal's text ("-12.50"), so no digit ever passes through a
 * JS number.
 */

/**
 * The unscaled value as a number when the text has at most 15 digits (exact in a double, the common
 * case), else undefined; null when the text is not a decimal that fits `scale` without rounding.
 */
export function smallUnscaledAt(text: string, scale: number): number | null | undefined {
  if (text.length > 16) return undefined;
  let i = 0;
  let negative = false;
  if (text.charCodeAt(0) === 45) { negative = true; i = 1; }
  let n = 0;
  let digits = 0;
  let fraction = -1;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 && fraction === -1) { fraction = 0; continue; }
    if (c < 48 || c > 57) return undefined; // let the general parser judge it
    if (fraction >= 0) {
      if (fraction === scale) {
        if (c !== 48) return null;
        continue;
      }
      fraction++;
    }
    n = n * 10 + (c - 48);
    digits++;
  }
  if (digits === 0) return undefined;
  for (let f = fraction < 0 ? 0 : fraction; f < scale; f++) n *= 10;
  // Within ±2^47: exact, and the byte builder takes at most 6 bytes.
  if (n >= 0x800000000000) return undefined;
  return negative ? -n : n;
}

/** Parses decimal text into its unscaled BigInt at `scale`; null when it does not fit without rounding. */
export function unscaledAt(text: string, scale: number): bigint | null {
  let i = 0;
  let negative = false;
  const first = text.charCodeAt(0);
  if (first === 45 /* - */) { negative = true; i = 1; } else if (first === 43 /* + */) i = 1;
  const dot = text.indexOf('.', i);
  let intPart = dot === -1 ? text.slice(i) : text.slice(i, dot);
  let fracPart = dot === -1 ? '' : text.slice(dot + 1);
  if ((intPart === '' && fracPart === '') || !isDigits(intPart) || !isDigits(fracPart)) return null;
  // Trailing zeros beyond the scale carry no information ("1.500" at scale 2 is exact).
  if (fracPart.length > scale) {
    const extra = fracPart.slice(scale);
    if (!/^0*$/.test(extra)) return null;
    fracPart = fracPart.slice(0, scale);
  }
  if (intPart === '') intPart = '0';
  const unscaled = BigInt(intPart + fracPart.padEnd(scale, '0'));
  return negative ? -unscaled : unscaled;
}

function isDigits(s: string): boolean {
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Number of decimal digits of |n|. */
export function digitCount(n: bigint): number {
  return (n < 0n ? -n : n).toString().length;
}

export function unscaledToBytes(n: bigint): Buffer {
  // Most decimals fit 48 bits: build their bytes with number arithmetic (exact below 2^53).
  if (n >= -0x800000000000n && n < 0x800000000000n) return smallUnscaledToBytes(Number(n));
  // Two's complement: the smallest byte count whose signed range holds n.
  let hex = (n < 0n ? -n : n).toString(16);
  let bytes = Math.ceil(hex.length / 2);
  const limit = 1n << BigInt(bytes * 8 - 1);
  if ((n >= 0n && n >= limit) || (n < 0n && -n > limit)) bytes++;
  const value = n < 0n ? (1n << BigInt(bytes * 8)) + n : n;
  hex = value.toString(16).padStart(bytes * 2, '0');
  return Buffer.from(hex, 'hex');
}

const SIGNED_LIMITS = [0, 0x80, 0x8000, 0x800000, 0x80000000, 0x8000000000, 0x800000000000];

/** Minimal two's complement of a value within ±2^47. */
export function smallUnscaledToBytes(v: number): Buffer {
  let bytes = 1;
  while (v < -SIGNED_LIMITS[bytes]! || v >= SIGNED_LIMITS[bytes]!) bytes++;
  const out = Buffer.allocUnsafe(bytes);
  out.writeIntBE(v, 0, bytes);
  return out;
}

export function bytesToUnscaled(buf: Uint8Array): bigint {
  if (buf.length === 0) return 0n;
  const n = BigInt(`0x${Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('hex')}`);
  return buf[0]! & 0x80 ? n - (1n << BigInt(buf.length * 8)) : n;
}

/** The decimal text of an unscaled value at a scale, in plain notation ("-0.05"). */
export function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString();
  if (scale === 0) return (negative ? '-' : '') + digits;
  const padded = digits.padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

/** The scale a decimal text needs to be exact (digits after the point, trailing zeros kept as written). */
export function scaleOf(text: string): number {
  const dot = text.indexOf('.');
  return dot === -1 ? 0 : text.length - dot - 1;
}
