import type { TableId } from '../../src/model/table-schema.js';
import { tableIdText } from '../../src/model/table-schema.js';
import type { CheckFinding } from '../../src/source/source-connector.js';
import { quoteIdent, quoteTable } from './pg-identifiers.js';

/** What the catalog says about how a table's rows are identified in the WAL. */
export interface TableIdentity {
  /** pg_class.relreplident: default (the primary key), nothing, full, index. */
  replident: 'd' | 'n' | 'f' | 'i';
  hasPrimaryKey: boolean;
  /** A REPLICA IDENTITY USING INDEX index exists (it is gone when that index was dropped). */
  hasIdentityIndex: boolean;
  /** A unique, non-partial, immediate index on NOT NULL columns other than the primary key, that USING INDEX could name. */
  candidateIndex: string | null;
}

export const REPLICA_IDENTITY_NAME: Record<TableIdentity['replident'], string> = { d: 'DEFAULT', n: 'NOTHING', f: 'FULL', i: 'USING INDEX' };

/** Whether PostgreSQL logs a key for UPDATE and DELETE (without one it refuses them on a published table). */
export function identifiesRows(t: TableIdentity): boolean {
  return (t.replident === 'd' && t.hasPrimaryKey) || t.replident === 'f' || (t.replident === 'i' && t.hasIdentityIndex);
}

/**
 * The `check` finding for a table's replica identity, or null when it is fine: the real reason, and first
 * the fix that keeps a Kafka key (DEFAULT when a primary key exists, USING INDEX a unique index), FULL
 * (no key) only when nothing else would do.
 */
export function replicaIdentityFinding(id: TableId, t: TableIdentity): CheckFinding | null {
  const name = tableIdText(id);
  const alter = `ALTER TABLE ${quoteTable(id)} REPLICA IDENTITY`;
  const failing = 'once published, UPDATE and DELETE on it fail in PostgreSQL';
  const keepKey = t.hasPrimaryKey
    ? `${alter} DEFAULT; (the primary key identifies rows and stays the Kafka key)`
    : t.candidateIndex
      ? `${alter} USING INDEX ${quoteIdent(t.candidateIndex)}; (that unique index identifies rows and becomes the Kafka key)`
      : `add a primary key (rows are then identified by it and keyed by it in Kafka), or ${alter} FULL; (its records then have no Kafka key)`;
  switch (t.replident) {
    case 'd':
      if (t.hasPrimaryKey) return null;
      return {
        level: 'error',
        id: `no_primary_key:${name}`,
        message: `table ${name} has no primary key, and REPLICA IDENTITY DEFAULT identifies rows by the primary key: ${failing}`,
        fix: keepKey,
      };
    case 'n':
      return {
        level: 'error',
        id: `${t.hasPrimaryKey ? 'replica_identity' : 'no_primary_key'}:${name}`,
        message: t.hasPrimaryKey
          ? `table ${name} has REPLICA IDENTITY NOTHING, so its primary key is not logged for UPDATE and DELETE: ${failing}`
          : `table ${name} has no primary key and REPLICA IDENTITY NOTHING: ${failing}`,
        fix: keepKey,
      };
    case 'i':
      if (t.hasIdentityIndex) return null;
      return {
        level: 'error',
        id: `replica_identity:${name}`,
        message: `table ${name} has REPLICA IDENTITY USING INDEX, but that index was dropped (PostgreSQL then logs no key, as with NOTHING): ${failing}`,
        fix: keepKey,
      };
    case 'f':
      if (t.hasPrimaryKey) return null;
      return {
        level: 'warning',
        id: `no_primary_key:${name}`,
        message: `table ${name} has no primary key: its topic is a change log of whole rows without Kafka keys (not compacted, every record kept, one partition), which grows with every change; replay rebuilds the table from it, each delete scanning the target table`,
        fix: t.candidateIndex
          ? `${alter} USING INDEX ${quoteIdent(t.candidateIndex)}; (that unique index becomes the Kafka key), or add a primary key to ${quoteTable(id)}`
          : `add a primary key to ${quoteTable(id)}`,
      };
  }
}
