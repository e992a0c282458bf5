import type { SourcePosition } from '../model/change-event.js';
import { fixedSchema } from '../schema/fixed-schemas.js';
import { fingerprint64Bytes } from '../avro/fingerprint.js';
import { frameSingleObject, readSingleObjectHeader } from '../avro/single-object.js';

/** A connector's durable restart point, as kept in `<topicPrefix>._offsets` (schemas/checkpoint.avsc). */
export interface Checkpoint {
  connector: string;
  source: 'postgres' | 'mysql';
  position: SourcePosition;
  snapshot: string | null;
  committedAtMicros: bigint;
  logtapVersion: string;
}

interface CheckpointRecord {
  connector: string;
  source: string;
  position: string;
  positionText: string;
  snapshot: string | null;
  committedAtMicros: bigint;
  logtapVersion: string;
}

const schema = () => fixedSchema('checkpoint');
let fingerprint: Buffer | undefined;

export function encodeCheckpoint(c: Checkpoint): Buffer {
  fingerprint ??= fingerprint64Bytes(schema().schema as object);
  const record: CheckpointRecord = {
    connector: c.connector, source: c.source, position: c.position.token, positionText: c.position.display,
    snapshot: c.snapshot, committedAtMicros: c.committedAtMicros, logtapVersion: c.logtapVersion,
  };
  return frameSingleObject(fingerprint, schema().type.toBuffer(record));
}

export function decodeCheckpoint(bytes: Buffer): Checkpoint {
  const r = schema().type.fromBuffer(readSingleObjectHeader(bytes).body) as CheckpointRecord;
  return {
    connector: r.connector, source: r.source as Checkpoint['source'], position: { token: r.position, display: r.positionText },
    snapshot: r.snapshot, committedAtMicros: r.committedAtMicros, logtapVersion: r.logtapVersion,
  };
}
