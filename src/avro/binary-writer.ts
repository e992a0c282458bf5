/**
 * Avro binary encoding into one reusable, growing buffer. The hot path of publishing: avsc's
 * `toBuffer` allocates and copies per call and writes BigInt longs through a slow generic path, which
 * measured at a quarter of the target in bench/encode; this writes each primitive in place and copies
 * once per message. Decoding stays with avsc.
 */
export class AvroWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialSize = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  reset(): void {
    this.pos = 0;
  }

  /** A copy of what was written since the last reset. */
  take(): Buffer {
    // allocUnsafe takes small buffers from Node's pool: one cheap allocation and one copy.
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }

  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  boolean(b: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = b ? 1 : 0;
  }

  /** A zig-zag varint of an integer within ±2^52 (Avro int and long share the encoding). */
  long(n: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    if (n >= -1073741824 && n < 1073741824) {
      // 32-bit arithmetic is exact here.
      let z = ((n << 1) ^ (n >> 31)) >>> 0;
      while (z > 0x7f) {
        buf[pos++] = (z & 0x7f) | 0x80;
        z >>>= 7;
      }
      buf[pos++] = z;
    } else if (n > -4503599627370496 && n < 4503599627370496) {
      // Doubling stays below 2^53, so the arithmetic is exact.
      let z = n >= 0 ? n * 2 : -n * 2 - 1;
      while (z >= 0x80) {
        buf[pos++] = (z % 0x80) | 0x80;
        z = Math.floor(z / 0x80);
      }
      buf[pos++] = z;
    } else {
      this.bigLong(BigInt(n));
      return;
    }
    this.pos = pos;
  }

  bigLong(n: bigint): void {
    if (n > -4503599627370496n && n < 4503599627370496n) {
      this.long(Number(n));
      return;
    }
    this.ensure(10);
    let z = n >= 0n ? n << 1n : ((-n) << 1n) - 1n;
    while (z >= 0x80n) {
      this.buf[this.pos++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    this.buf[this.pos++] = Number(z);
  }

  float(f: number): void {
    this.ensure(4);
    this.buf.writeFloatLE(f, this.pos);
    this.pos += 4;
  }

  double(d: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(d, this.pos);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.long(b.length);
    this.raw(b);
  }

  string(s: string): void {
    // Up to 21 UTF-16 units take at most 63 UTF-8 bytes, whose length is a one-byte varint: write in place.
    if (s.length < 22) {
      this.ensure(1 + s.length * 3);
      const start = this.pos++;
      const written = this.buf.write(s, this.pos, 'utf8');
      this.buf[start] = written << 1;
      this.pos += written;
      return;
    }
    const length = Buffer.byteLength(s, 'utf8');
    this.long(length);
    this.ensure(length);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
}
