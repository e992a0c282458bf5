import mysql from 'mysql2';
import type { Row } from '../../src/model/change-event.js';
import { tableIdText, type TableSchema } from '../../src/model/table-schema.js';
import { mapDriverError, type ErrorContext } from './driver-errors.js';
import { introspectTable, type MysqlQueryRunner } from './introspect-columns.js';
import { mysqlEndpoint, type MysqlSourceSettings } from './mysql-source-url.js';
import { SNAPSHOT_CONNECTION_OPTIONS, compileSnapshotRowDecoder, quoteMysqlIdent, snapshotColumnReaders } from './snapshot-values.js';

/**
 * Reads one child row from the database by primary key, decoded as the snapshot decodes (the stream's canonical
 * values). Only for the columns a derived cascade after-image lacks — a column added to the child table after its
 * rows were published: the cascade index knows the row as its topic does, without it. The value read is the row's
 * current one (the final state is exact; a replay --until an earlier point may show a newer value there).
 */
export interface ChildRowReader {
  /** The row with these key values, or undefined when it is gone or its key cannot be bound as a parameter. */
  read(table: TableSchema, key: Row): Promise<Row | undefined>;
  close(): void;
}

export function createChildRowReader(settings: MysqlSourceSettings, runner: MysqlQueryRunner, errors: ErrorContext): ChildRowReader {
  let connection: mysql.Connection | undefined;
  const open = async (): Promise<mysql.Connection> => {
    if (connection) return connection;
    const created = mysql.createConnection({ ...mysqlEndpoint(settings), connectTimeout: 10_000, ...SNAPSHOT_CONNECTION_OPTIONS });
    created.on('error', () => {}); // reported by the query that meets it
    await created.promise().query("SET SESSION time_zone = '+00:00'");
    connection = created;
    return created;
  };

  return {
    async read(table, key) {
      const values = table.key.map((c) => key[c]);
      // Integers and text bind exactly; other key types (dates, binary, …) are not read back.
      if (table.key.length === 0 || !values.every((v) => typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string')) return undefined;
      try {
        const info = await introspectTable(runner, table.id.namespace, table.id.name);
        if (info.columns.length !== table.columns.length || info.columns.some((c, i) => c.name !== table.columns[i]!.name)) return undefined;
        const readers = snapshotColumnReaders(info, table);
        const decode = compileSnapshotRowDecoder(table, readers);
        const where = table.key.map((c) => `${quoteMysqlIdent(c)} = ?`).join(' AND ');
        const sql = `SELECT ${readers.map((r, i) => `${r.expression} AS c${i}`).join(', ')} FROM ${quoteMysqlIdent(table.id.namespace)}.${quoteMysqlIdent(table.id.name)} WHERE ${where}`;
        const [rows] = await (await open()).promise().query(sql, values.map((v) => (typeof v === 'bigint' ? v.toString() : v)));
        const [raw] = rows as Record<string, unknown>[];
        return raw ? decode(raw).row : undefined;
      } catch (err) {
        throw mapDriverError(err, errors, `reading back a row of ${tableIdText(table.id)} for a foreign-key cascade`);
      }
    },
    close() {
      connection?.destroy();
      connection = undefined;
    },
  };
}
