import type { NextTransaction } from '../../src/source/source-connector.js';
import type pg from 'pg';
import type { Lsn } from './lsn.js';
import { type PgPosition, completePosition, toSourcePosition } from './pg-position.js';
import { ResumeFilter } from './resume-filter.js';

/** Microseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
const PG_EPOCH_MICROS = 946_684_800_000_000n;
/** Peeked rows per first attempt; doubled until the transaction is complete. */
const FIRST_PEEK = 1_000;

export interface PeekRow {
  tag: string;
  /** The whole message for B, C, R and M; the first bytes otherwise (tag and relation id). */
  data: Buffer;
}

/**
 * The transaction after `from`, read by peeking the (inactive) slot with the connector's publication: pgoutput
 * messages are classified by their first bytes and never decoded as values, so a change the stream cannot decode
 * (the usual reason a connector stopped) is counted all the same. The slot does not move. A peek starts at the
 * slot's confirmed position; transactions the position already covers are passed over as the stream would.
 */
export async function peekNextTransaction(db: pg.Client, slot: string, publication: string, outboxPrefix: string | undefined, from: PgPosition): Promise<NextTransaction | null> {
  const resume = new ResumeFilter(from);
  for (let limit = FIRST_PEEK; ; limit *= 2) {
    const { rows } = await db.query(
      `SELECT chr(get_byte(data, 0)) AS tag,
              CASE WHEN get_byte(data, 0) IN (66, 67, 77, 82, 84) THEN data ELSE substring(data FROM 1 FOR 5) END AS data
         FROM pg_catalog.pg_logical_slot_peek_binary_changes($1, NULL, $2, 'proto_version', '1', 'publication_names', $3, 'messages', 'true')`,
      [slot, limit, publication],
    );
    const found = scanPeekedChanges(rows as PeekRow[], resume, outboxPrefix);
    if (found) return found;
    // Fewer rows than asked for: the peek reached the end of the WAL without the transaction's commit.
    if (rows.length < limit) return null;
  }
}

/** The first transaction in peeked rows that `resume` does not cover in full (exported for tests). */
export function scanPeekedChanges(rows: readonly PeekRow[], resume: ResumeFilter, outboxPrefix: string | undefined): NextTransaction | null {
  const relations = new Map<number, string>();
  let tx: { commitLsn: Lsn; xid: string; commitTimeMicros: bigint; skip: number; seen: number; messages: number; tables: string[] } | null = null;
  for (const { tag, data } of rows) {
    switch (tag) {
      case 'R': {
        const namespaceEnd = data.indexOf(0, 5);
        const nameEnd = data.indexOf(0, namespaceEnd + 1);
        relations.set(data.readUInt32BE(1), `${data.toString('utf8', 5, namespaceEnd)}.${data.toString('utf8', namespaceEnd + 1, nameEnd)}`);
        break;
      }
      case 'B': {
        const commitLsn = data.readBigUInt64BE(1);
        const skip = resume.changesToSkip(commitLsn);
        tx = { commitLsn, commitTimeMicros: data.readBigInt64BE(9) + PG_EPOCH_MICROS, xid: String(data.readUInt32BE(17)), skip, seen: 0, messages: 0, tables: [] };
        break;
      }
      case 'I':
      case 'U':
      case 'D':
      case 'T': {
        if (!tx) break;
        // A truncate is one change per relation it names (nrelations, options, then the ids).
        const relids = tag === 'T' ? Array.from({ length: data.readUInt32BE(1) }, (_, i) => data.readUInt32BE(6 + 4 * i)) : [data.readUInt32BE(1)];
        for (const relid of relids) {
          tx.seen++;
          if (tx.seen <= tx.skip) continue;
          const table = relations.get(relid) ?? `relation ${relid}`;
          if (!tx.tables.includes(table)) tx.tables.push(table);
        }
        break;
      }
      case 'M': {
        // flags (1: transactional), LSN, then the prefix
        const prefixEnd = data.indexOf(0, 10);
        if (tx && (data.readUInt8(1) & 1) === 1 && data.toString('utf8', 10, prefixEnd) === outboxPrefix) tx.messages++;
        break;
      }
      case 'C': {
        const current = tx;
        tx = null;
        if (!current || current.skip === Infinity) break;
        const changes = Math.max(0, current.seen - current.skip);
        if (changes === 0 && current.messages === 0) break; // nothing the stream would publish
        const endLsn = data.readBigUInt64BE(10);
        return {
          txId: current.xid, changes, messages: current.messages, tables: current.tables, commitTimeMicros: current.commitTimeMicros,
          end: toSourcePosition(completePosition(endLsn)),
        };
      }
      default:
        break; // type and origin messages
    }
  }
  return null;
}
