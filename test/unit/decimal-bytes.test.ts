import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesToUnscaled, smallUnscaledAt, unscaledAt, unscaledToBytes } from '../../src/avro/decimal-bytes.js';
import { decimalTextArb } from '../helpers/column-arbitraries.js';

// Expected bytes are the minimal big-endian two's complement, as java.math.BigInteger.toByteArray
// defines it for Avro's decimal; written out by hand from the definition.
const known: Array<[bigint, string]> = [
  [0n, '00'], [1n, '01'], [127n, '7f'], [128n, '0080'], [255n, '00ff'], [-1n, 'ff'], [-128n, '80'], [-129n, 'ff7f'],
  [32767n, '7fff'], [32768n, '008000'], [-32768n, '8000'], [-32769n, 'ff7fff'],
  [(1n << 47n) - 1n, '7fffffffffff'], [1n << 47n, '00800000000000'], [-(1n << 47n), '800000000000'], [-(1n << 47n) - 1n, 'ff7fffffffffff'],
  [(1n << 63n) - 1n, '7fffffffffffffff'], [-(1n << 63n), '8000000000000000'], [18446744073709551615n, '00ffffffffffffffff'],
];

describe('decimal bytes', () => {
  it.each(known)('%s is %s', (n, hex) => {
    expect(unscaledToBytes(n).toString('hex')).toBe(hex);
    expect(bytesToUnscaled(Buffer.from(hex, 'hex'))).toBe(n);
  });

  it('round-trips any integer', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }), (n) => {
      expect(bytesToUnscaled(unscaledToBytes(n))).toBe(n);
    }));
  });

  it('reads decimal text at a scale without rounding', () => {
    expect(unscaledAt('12.50', 2)).toBe(1250n);
    expect(unscaledAt('-0.05', 2)).toBe(-5n);
    expect(unscaledAt('7', 3)).toBe(7000n);
    expect(unscaledAt('1.500', 2)).toBe(150n);
    expect(unscaledAt('1.505', 2)).toBeNull();
    expect(unscaledAt('1e5', 0)).toBeNull();
    expect(unscaledAt('', 0)).toBeNull();
    expect(unscaledAt('-', 0)).toBeNull();
    expect(unscaledAt('.5', 1)).toBe(5n);
  });

  it('takes the number fast path only where it agrees with the exact parser', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 6 }), fc.nat(6), (intDigits, textScale, scale) =>
      fc.assert(fc.property(decimalTextArb(intDigits, textScale), (text) => {
        const small = smallUnscaledAt(text, scale);
        const exact = unscaledAt(text, scale);
        if (small === undefined) return;
        if (exact === null) expect(small).toBeNull();
        else expect(small === null ? null : BigInt(small)).toBe(exact);
      }), { numRuns: 20 })));
    expect(smallUnscaledAt('1.505', 2)).toBeNull();
    expect(smallUnscaledAt('1.500', 2)).toBe(150);
    expect(smallUnscaledAt('140737488355328', 0)).toBeUndefined();
  });
});
