import { createHash } from 'node:crypto';
import type { TableId } from '../../src/model/table-schema.js';

/** PostgreSQL identifiers are at most NAMEDATALEN - 1 = 63 bytes. */
const MAX_IDENTIFIER = 63;

/** `"name"` with embedded quotes doubled: any characters, exactly as written (case kept). */
export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export const quoteTable = (id: TableId): string => `${quoteIdent(id.namespace)}.${quoteIdent(id.name)}`;

/** `'text'` as an SQL string literal (standard_conforming_strings is on since PostgreSQL 9.1). */
export const quoteLiteral = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * `logtap_<name>` in [a-z0-9_] (replication slot names allow nothing else), for the slot and the
 * publication of one connector. When the name had to change (upper case, `.`, `-`) or be shortened, a
 * hash of the original keeps two connector names from meeting in one slot.
 */
export function derivedObjectName(connectorName: string, prefix = 'logtap_'): string {
  const sanitized = connectorName.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const exact = sanitized === connectorName;
  const room = MAX_IDENTIFIER - prefix.length;
  if (exact && sanitized.length <= room) return `${prefix}${sanitized}`;
  const hash = createHash('sha256').update(connectorName).digest('hex').slice(0, 8);
  return `${prefix}${sanitized.slice(0, room - hash.length - 1)}_${hash}`;
}

/** `namespace.table` (the config's form) → TableId; the names are exact (not folded to lower case). */
export function parseTableName(text: string): TableId {
  const dot = text.indexOf('.');
  if (dot <= 0 || dot === text.length - 1) throw new Error(`expected namespace.table, got ${JSON.stringify(text)}`);
  return { namespace: text.slice(0, dot), name: text.slice(dot + 1) };
}

/**
 * What a read of a table's rows selects FROM: a partitioned table with its partitions (they hold its rows,
 * published as its own); any other table ONLY itself, for a child of table inheritance is published as a
 * table of its own and its rows must not show up a second time in the parent's.
 */
export const rowsOf = (id: TableId, partitioned: boolean): string => (partitioned ? quoteTable(id) : `ONLY ${quoteTable(id)}`);
