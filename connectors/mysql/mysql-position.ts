import { ConfigError } from '../../src/errors.js';
import type { SourcePosition } from '../../src/model/change-event.js';
import { parseGtid, parseGtidState } from './gtid-set.js';

/**
 * Where a MySQL/MariaDB binlog stream may restart. The token is versioned, human-readable text (the core treats it
 * as opaque); these forms must keep parsing forever (test/unit/mysql-position.test.ts holds them as golden strings):
 *
 * - `my1:gtid=0-1-42` — complete: every transaction in the GTID state is published (MariaDB position or MySQL set,
 *   e.g. `my1:gtid=3e11fa47-71ca-11e1-9e33-c80aa9429562:1-42`); the state may be empty (`my1:gtid=`).
 * - `my1:gtid=0-1-42;in=0-1-43#3` — partial: as above, plus the first 3 row changes of transaction 0-1-43, which
 *   follows that state in the binlog.
 * - `my1:file=binlog.000003:4567#0` — without GTIDs: the transaction starting at byte 4567 of binlog.000003, of which
 *   the first k changes are published (`#0`: nothing of it, i.e. complete up to 4567). `%`, `;`, `#`, `=` and
 *   whitespace in a file name are written as `%XX`.
 *
 * Resuming delivers exactly the changes after the position: the server resumes at a transaction boundary (the
 * state, or file:offset), and the connector skips the first k changes of the named transaction.
 */
export type MysqlPosition = GtidPosition | FilePosition;

export interface GtidPosition {
  kind: 'gtid';
  /** The executed GTID state before the transaction in progress (MariaDB position or MySQL set text). */
  executed: string;
  /** The transaction in progress and how many of its changes are published (≥ 1). Absent: complete. */
  inTransaction?: { gtid: string; published: number };
}

export interface FilePosition {
  kind: 'file';
  file: string;
  /** Byte offset of the transaction's first event (its GTID or BEGIN event). */
  offset: number;
  /** Changes of that transaction already published; 0: complete up to `offset`. */
  published: number;
}

const VERSION_PREFIX = 'my1:';

export function isComplete(position: MysqlPosition): boolean {
  return position.kind === 'gtid' ? position.inTransaction === undefined : position.published === 0;
}

export function encodeMysqlPosition(position: MysqlPosition): string {
  if (position.kind === 'gtid') {
    const base = `${VERSION_PREFIX}gtid=${position.executed}`;
    return position.inTransaction ? `${base};in=${position.inTransaction.gtid}#${position.inTransaction.published}` : base;
  }
  return `${VERSION_PREFIX}file=${escapeFileName(position.file)}:${position.offset}#${position.published}`;
}

export function describeMysqlPosition(position: MysqlPosition): string {
  if (position.kind === 'gtid') {
    const base = `gtid ${position.executed === '' ? '(empty)' : position.executed}`;
    return position.inTransaction ? `${base} + ${position.inTransaction.published} change(s) of ${position.inTransaction.gtid}` : base;
  }
  const base = `${position.file}:${position.offset}`;
  return position.published > 0 ? `${base} + ${position.published} change(s)` : base;
}

export function toSourcePosition(position: MysqlPosition): SourcePosition {
  return { token: encodeMysqlPosition(position), display: describeMysqlPosition(position) };
}

/** Reads a token written by encodeMysqlPosition (any release); a ConfigError names what is wrong. */
export function decodeMysqlPosition(token: string): MysqlPosition {
  const fail = (why: string): never => {
    throw new ConfigError(`checkpoint position ${JSON.stringify(token)} is not a MySQL binlog position (${why}); was it written by another connector?`);
  };
  if (!token.startsWith(VERSION_PREFIX)) {
    return fail(/^my\d+:/.test(token) ? `version ${token.slice(0, token.indexOf(':'))} is newer than this logtap understands` : 'expected my1:gtid=… or my1:file=…');
  }
  const body = token.slice(VERSION_PREFIX.length);
  if (body.startsWith('gtid=')) {
    const [executed, ...rest] = body.slice('gtid='.length).split(';');
    const position: GtidPosition = { kind: 'gtid', executed: executed! };
    try {
      parseGtidState(executed!);
    } catch (err) {
      return fail((err as Error).message);
    }
    if (rest.length > 1) return fail('more than one ;in= part');
    if (rest.length === 1) {
      const match = /^in=([^#]+)#(\d+)$/.exec(rest[0]!);
      if (!match) return fail('expected ;in=<gtid>#<changes>');
      const gtid = match[1]!;
      try {
        const flavour = parseGtid(gtid).flavour;
        const state = parseGtidState(executed!);
        if (state.flavour !== undefined && state.flavour !== flavour) return fail(`transaction ${gtid} is not of the state's flavour`);
      } catch (err) {
        return fail((err as Error).message);
      }
      const published = parseCount(match[2]!, fail);
      if (published < 1) return fail('a transaction in progress has at least one published change');
      position.inTransaction = { gtid, published };
    }
    return position;
  }
  if (body.startsWith('file=')) {
    const match = /^file=(.+):(\d+)#(\d+)$/.exec(body);
    if (!match) return fail('expected file=<name>:<offset>#<changes>');
    const file = unescapeFileName(match[1]!, fail);
    const offset = parseCount(match[2]!, fail);
    return { kind: 'file', file, offset, published: parseCount(match[3]!, fail) };
  }
  return fail('expected gtid= or file=');
}

function parseCount(text: string, fail: (why: string) => never): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) fail(`number ${text} out of range`);
  return value;
}

const escapeFileName = (file: string): string =>
  file.replace(/[%;#=\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);

function unescapeFileName(text: string, fail: (why: string) => never): string {
  if (/[;#=\s]/.test(text)) fail(`file name ${JSON.stringify(text)} holds an unescaped separator`);
  try {
    return decodeURIComponent(text);
  } catch {
    return fail(`file name ${JSON.stringify(text)} is not correctly escaped`);
  }
}
