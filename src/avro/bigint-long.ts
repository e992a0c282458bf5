import avro from 'avsc';

/**
 * avsc's `long` goes through a JS number and throws beyond ±2^53; logtap's canonical long is a BigInt.
 * avsc hands a custom long type the value as 8 little-endian two's-complement bytes and does the
 * zig-zag varint itself, so Node's native BigInt64 buffer access is all this needs.
 */
const MIN = -(1n << 63n);
const MAX = (1n << 63n) - 1n;
// avsc copies the bytes out before the next call (and may invert them in place): one scratch buffer will do.
const scratch = Buffer.alloc(8);

export const bigintLongType = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(0),
  toBuffer: (n: bigint) => {
    scratch.writeBigInt64LE(n, 0);
    return scratch;
  },
  fromJSON: (json: unknown) => BigInt(json as string | number),
  toJSON: (n: bigint) => (n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n.toString()),
  isValid: (n: unknown) => typeof n === 'bigint' && n >= MIN && n <= MAX,
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});
