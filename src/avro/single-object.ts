import { EncodingError } from '../errors.js';

/**
 * Avro single-object encoding (Avro specification, "Single-object encoding"): the two marker bytes
 * C3 01, the writer schema's CRC-64-AVRO fingerprint as 8 little-endian bytes, then the Avro binary
 * body. A consumer needs nothing but the message to find the writer's schema.
 */

const MARKER_0 = 0xc3;
const MARKER_1 = 0x01;
const FINGERPRINT_LENGTH = 8;
export const SINGLE_OBJECT_HEADER_LENGTH = 2 + FINGERPRINT_LENGTH;

/** Header and body in one new buffer; `fingerprint` is what `fingerprint64Bytes` returns. */
export function frameSingleObject(fingerprint: Buffer, body: Buffer): Buffer {
  if (fingerprint.length !== FINGERPRINT_LENGTH) {
    throw new RangeError(`a CRC-64-AVRO fingerprint is ${FINGERPRINT_LENGTH} bytes, not ${fingerprint.length}`);
  }
  // Every byte is written below, so the buffer need not be zeroed.
  const framed = Buffer.allocUnsafe(SINGLE_OBJECT_HEADER_LENGTH + body.length);
  framed[0] = MARKER_0;
  framed[1] = MARKER_1;
  fingerprint.copy(framed, 2);
  body.copy(framed, SINGLE_OBJECT_HEADER_LENGTH);
  return framed;
}

export interface SingleObjectHeader {
  /** The 8 fingerprint bytes as sent (little-endian); a view into the message, not a copy. */
  fingerprint: Buffer;
  /** The fingerprint as 16 hex digits of the unsigned 64-bit number, as Avro Java prints it with `%016x`. */
  fingerprintHex: string;
  /** The Avro binary body; a view into the message, not a copy. */
  body: Buffer;
}

/** Splits a single-object-encoded message; throws an EncodingError when it is not one. */
export function readSingleObjectHeader(buf: Buffer): SingleObjectHeader {
  if (buf.length < SINGLE_OBJECT_HEADER_LENGTH) {
    throw new EncodingError(
      `not an Avro single-object message: ${buf.length} bytes, but the header alone takes ${SINGLE_OBJECT_HEADER_LENGTH}`,
    );
  }
  if (buf[0] !== MARKER_0 || buf[1] !== MARKER_1) {
    throw new EncodingError(
      `not an Avro single-object message: starts with ${buf.subarray(0, 2).toString('hex')}, not the marker c301`,
    );
  }
  return {
    fingerprint: buf.subarray(2, SINGLE_OBJECT_HEADER_LENGTH),
    fingerprintHex: buf.readBigUInt64LE(2).toString(16).padStart(16, '0'),
    body: buf.subarray(SINGLE_OBJECT_HEADER_LENGTH),
  };
}
