import type pg from 'pg';
import type { RowDeleter } from '../../src/source/source-connector.js';
import { quoteIdent, quoteTable } from './pg-identifiers.js';

/** Bound values as pg takes them: 64-bit integers as text, bytes as a Buffer; PostgreSQL casts them to the column's type. */
const param = (v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v) : v);

/** Deletes published outbox rows (deleteAfterCapture), each call on a short catalog connection (`withCatalog`). */
export function createPgRowDeleter(withCatalog: <T>(doing: string, work: (db: pg.Client) => Promise<T>) => Promise<T>): RowDeleter {
  return {
    deleteRows(table, column, values) {
      if (values.length === 0) return Promise.resolve(0);
      return withCatalog('deleting published outbox rows', async (db) => {
        const result = await db.query(`DELETE FROM ${quoteTable(table)} WHERE ${quoteIdent(column)} IN (${values.map((_, i) => `$${i + 1}`).join(', ')})`, values.map(param));
        return result.rowCount ?? 0;
      });
    },
    mayDelete(table) {
      return withCatalog('looking at the outbox table\'s privileges', async (db) => {
        const { rows } = await db.query<{ may: boolean }>('SELECT has_table_privilege(current_user, $1::regclass, \'DELETE\') AS may', [quoteTable(table)]);
        return rows[0]?.may === true;
      });
    },
  };
}
