import type { SourcePosition } from '../../src/model/change-event.js';
import { ConfigError } from '../../src/errors.js';
import { type Lsn, formatLsn, parseLsn } from './lsn.js';

/**
 * Where the PostgreSQL source is safe to restart (a checkpoint), as a versioned text token the core keeps
 * without reading it. Two kinds:
 *
 * - complete `pg1:<L>`: every transaction whose commit record starts below L is published. L is a
 *   commit's end LSN, or a keepalive's WAL position while no transaction was open.
 * - partial `pg1:<C>#<k>`: every transaction whose commit record starts below C is published, and the
 *   first k changes (1-based, in the transaction's order) of the transaction whose commit record starts
 *   at C. Taken when the pipeline checkpoints inside a large transaction.
 *
 * Tokens written by a released version must keep parsing (test/unit/pg-position.test.ts holds golden
 * tokens); a new shape gets a new version prefix.
 */
export type PgPosition =
  | { kind: 'complete'; lsn: Lsn }
  | { kind: 'partial'; commitLsn: Lsn; changes: number };

const VERSION = 'pg1:';
const TOKEN = /^pg1:([0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8})(?:#([1-9][0-9]{0,15}))?$/;

export const completePosition = (lsn: Lsn): PgPosition => ({ kind: 'complete', lsn });
export function partialPosition(commitLsn: Lsn, changes: number): PgPosition {
  if (!Number.isSafeInteger(changes) || changes < 1) throw new RangeError(`a partial position counts at least one change, not ${changes}`);
  return { kind: 'partial', commitLsn, changes };
}

export function positionToken(position: PgPosition): string {
  return position.kind === 'complete'
    ? `${VERSION}${formatLsn(position.lsn)}`
    : `${VERSION}${formatLsn(position.commitLsn)}#${position.changes}`;
}

export function positionDisplay(position: PgPosition): string {
  if (position.kind === 'complete') return `lsn ${formatLsn(position.lsn)}`;
  return `commit ${formatLsn(position.commitLsn)}, ${position.changes} ${position.changes === 1 ? 'change' : 'changes'} in`;
}

export function toSourcePosition(position: PgPosition): SourcePosition {
  return { token: positionToken(position), display: positionDisplay(position) };
}

/**
 * The positions of one transaction's changes, formatted once per transaction (the per-change hot path):
 * `(k) => toSourcePosition(partialPosition(commitLsn, k))`.
 */
export function partialPositions(commitLsn: Lsn): (changes: number) => SourcePosition {
  const lsn = formatLsn(commitLsn);
  const token = `${VERSION}${lsn}#`;
  const display = `commit ${lsn}, `;
  return (changes) => {
    if (!Number.isSafeInteger(changes) || changes < 1) throw new RangeError(`a partial position counts at least one change, not ${changes}`);
    return { token: `${token}${changes}`, display: `${display}${changes} ${changes === 1 ? 'change' : 'changes'} in` };
  };
}

/** Reads a token this connector wrote; anything else (another connector's position, a typo) is a ConfigError. */
export function parsePosition(token: string): PgPosition {
  const match = TOKEN.exec(token);
  if (!match) {
    const shown = JSON.stringify(token.length > 60 ? `${token.slice(0, 60)}…` : token);
    throw new ConfigError(`checkpoint position ${shown} is not a PostgreSQL position of this logtap version (expected pg1:<lsn> or pg1:<lsn>#<n>): was the checkpoint written by another connector?`);
  }
  const lsn = parseLsn(match[1]!);
  if (match[2] === undefined) return completePosition(lsn);
  const changes = Number(match[2]);
  if (!Number.isSafeInteger(changes)) throw new ConfigError(`checkpoint position ${JSON.stringify(token)} has an impossible change count`);
  return partialPosition(lsn, changes);
}

export const fromSourcePosition = (position: SourcePosition): PgPosition => parsePosition(position.token);

/**
 * The LSN below which every transaction's commit is covered by `position`: where the server may start
 * decoding for a resume (the transaction at C of a partial position must be resent).
 */
export const coveredBelow = (position: PgPosition): Lsn => (position.kind === 'complete' ? position.lsn : position.commitLsn);
