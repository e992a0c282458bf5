import type { SourcePosition } from '../../src/model/change-event.js';
import { type SnapshotProgress, type SnapshotTokenCodec, parseSnapshotToken, snapshotSourcePosition, snapshotToken } from '../../src/snapshot/snapshot-progress.js';
import { type PgPosition, parsePosition, positionDisplay, positionToken } from './pg-position.js';

/**
 * A position inside a PostgreSQL snapshot: `pgsnap1:<stream token>|<progress>`, e.g.
 * `pgsnap1:pg1:0/16B3748|["public","orders",["42"]]`. The stream token (pg-position.ts) is where streaming
 * continues once the snapshot is published (the slot's consistent point on a first start); the progress
 * (src/snapshot/snapshot-progress.ts) says which rows are published, empty for none.
 *
 * Tokens written by a released version must keep parsing (test/unit/snapshot-pg-position.test.ts holds
 * golden tokens); a new shape gets a new version prefix.
 */
export interface PgSnapshotPosition {
  stream: PgPosition;
  progress: SnapshotProgress | null;
}

const codec: SnapshotTokenCodec<PgPosition> = {
  prefix: 'pgsnap1:',
  database: 'PostgreSQL',
  streamToken: positionToken,
  parseStream: parsePosition,
  describeStream: positionDisplay,
};

export const isPgSnapshotToken = (token: string): boolean => token.startsWith(codec.prefix);

export const snapshotPositionToken = (position: PgSnapshotPosition): string => snapshotToken(codec, position);

export const toSnapshotSourcePosition = (position: PgSnapshotPosition): SourcePosition => snapshotSourcePosition(codec, position);

/** Reads a token snapshotPositionToken wrote; anything else is a ConfigError. */
export const parseSnapshotPosition = (token: string): PgSnapshotPosition => parseSnapshotToken(codec, token);
