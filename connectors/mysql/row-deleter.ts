import type { RowDeleter } from '../../src/source/source-connector.js';
import type { TableId } from '../../src/model/table-schema.js';
import { openSourceSession, type SourceSession } from './source-session.js';
import type { MysqlSourceSettings } from './mysql-source-url.js';
import { quoteMysqlIdent } from './snapshot-values.js';

const quoteTable = (t: TableId): string => `${quoteMysqlIdent(t.namespace)}.${quoteMysqlIdent(t.name)}`;

/** Bound values as mysql2 takes them: a 64-bit integer as text. */
const param = (v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v) : v);

/** Deletes published outbox rows (deleteAfterCapture) on a small pool of its own, opened when first needed. */
export function createMysqlRowDeleter(settings: MysqlSourceSettings): RowDeleter & { close(): Promise<void> } {
  let session: Promise<SourceSession> | undefined;
  const open = () => (session ??= openSourceSession(settings).catch((err: unknown) => {
    session = undefined;
    throw err;
  }));
  return {
    async deleteRows(table, column, values) {
      if (values.length === 0) return 0;
      const { runner } = await open();
      const result = await runner.query(`DELETE FROM ${quoteTable(table)} WHERE ${quoteMysqlIdent(column)} IN (${values.map(() => '?').join(', ')})`, values.map(param)) as unknown as { affectedRows?: number };
      return result.affectedRows ?? values.length;
    },
    async mayDelete(table) {
      // EXPLAIN needs the privileges of the statement it explains, and changes nothing.
      const { runner } = await open();
      try {
        await runner.query(`EXPLAIN DELETE FROM ${quoteTable(table)} WHERE 1 = 0`, []);
        return true;
      } catch (err) {
        if (/denied/i.test((err as Error).message)) return false;
        throw err;
      }
    },
    async close() {
      const s = session;
      session = undefined;
      if (s) await (await s.catch(() => null))?.close();
    },
  };
}
