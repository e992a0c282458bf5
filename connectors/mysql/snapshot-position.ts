import type { SourcePosition } from '../../src/model/change-event.js';
import { type SnapshotProgress, type SnapshotTokenCodec, parseSnapshotToken, snapshotSourcePosition, snapshotToken } from '../../src/snapshot/snapshot-progress.js';
import { type MysqlPosition, decodeMysqlPosition, describeMysqlPosition, encodeMysqlPosition } from './mysql-position.js';

/**
 * A position inside a MySQL/MariaDB snapshot: `mysnap1:<stream token>|<progress>`, e.g.
 * `mysnap1:my1:gtid=0-1-42|["shop","orders",["42"]]`. The stream token (mysql-position.ts) is where the binlog
 * stream continues once the snapshot is published (the snapshot's binlog point on a first start); the progress
 * (src/snapshot/snapshot-progress.ts) says which rows are published, empty for none.
 *
 * Tokens written by a released version must keep parsing (test/unit/snapshot-mysql-position.test.ts holds
 * golden tokens); a new shape gets a new version prefix.
 */
export interface MysqlSnapshotPosition {
  stream: MysqlPosition;
  progress: SnapshotProgress | null;
}

/** The stream token with `%` and `|` written as %25 and %7C, so that its first `|` ends it whatever the file name. */
const escapeBars = (token: string): string => token.replace(/[%|]/g, (c) => (c === '%' ? '%25' : '%7C'));
const unescapeBars = (text: string): string => text.replace(/%(25|7C)/g, (_, code: string) => (code === '25' ? '%' : '|'));

const codec: SnapshotTokenCodec<MysqlPosition> = {
  prefix: 'mysnap1:',
  database: 'MySQL',
  streamToken: (stream) => escapeBars(encodeMysqlPosition(stream)),
  parseStream: (text) => decodeMysqlPosition(unescapeBars(text)),
  describeStream: describeMysqlPosition,
};

export const isMysqlSnapshotToken = (token: string): boolean => token.startsWith(codec.prefix);

export const encodeMysqlSnapshotPosition = (position: MysqlSnapshotPosition): string => snapshotToken(codec, position);

export const toMysqlSnapshotSourcePosition = (position: MysqlSnapshotPosition): SourcePosition => snapshotSourcePosition(codec, position);

/** Reads a token encodeMysqlSnapshotPosition wrote; anything else is a ConfigError. */
export const decodeMysqlSnapshotPosition = (token: string): MysqlSnapshotPosition => parseSnapshotToken(codec, token);
