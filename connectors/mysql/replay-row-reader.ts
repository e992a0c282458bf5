import type { Row } from '../../src/model/change-event.js';
import type { ColumnType } from '../../src/model/column-type.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import { tableIdText } from '../../src/model/table-schema.js';
import { ConfigError } from '../../src/errors.js';
import type { TableRowReader } from '../../src/replay/replay-target.js';
import { introspectTable, queryRunnerOf } from './introspect-columns.js';
import { columnOf } from './column-mapping.js';
import { BINARY_DATA_TYPES, GEOMETRY_DATA_TYPES, type MysqlColumnInfo } from './mysql-column-info.js';
import { TableNotFoundError } from './mysql-errors.js';
import { parseDateText, parseDateTimeText, parseTimeText } from './temporal-text.js';
import { openReplayConnection } from './replay-connection.js';

const quoteId = (name: string): string => `\`${name.replace(/`/g, '``')}\``;
const BYTE_BITS = Array.from({ length: 256 }, (_, byte) => byte.toString(2).padStart(8, '0'));

/** Reads one column's text (or bytes) of a SELECT into the canonical value of the column's MySQL type. */
function textReader(info: MysqlColumnInfo, type: ColumnType): (raw: string | Buffer) => unknown {
  switch (type.kind) {
    case 'int':
    case 'year':
      return (raw) => Number(raw);
    case 'long':
      return (raw) => BigInt(raw as string);
    case 'float':
      // Selected as DOUBLE: the server's FLOAT text keeps only 6 digits.
      return (raw) => Math.fround(Number(raw));
    case 'double':
      return (raw) => Number(raw);
    case 'date':
      return (raw) => parseDateText(raw as string) ?? -Infinity;
    case 'timestamp-micros':
      return (raw) => parseDateTimeText(raw as string) ?? -Infinity;
    case 'duration-micros':
      return (raw) => parseTimeText(raw as string, 'exact');
    case 'set':
      return (raw) => ((raw as string) === '' ? [] : (raw as string).split(','));
    case 'bytes':
      return (raw) => new Uint8Array(raw as Buffer);
    case 'bits': {
      const length = type.length ?? 1;
      return (raw) => {
        let text = '';
        for (const byte of raw as Buffer) text += BYTE_BITS[byte];
        return text.slice(text.length - length);
      };
    }
    case 'geometry':
      return (raw) => {
        const bytes = raw as Buffer;
        return { srid: bytes.readUInt32LE(0), wkb: new Uint8Array(bytes.subarray(4)) };
      };
    default:
      void info;
      return (raw) => raw;
  }
}

const isBinary = (info: MysqlColumnInfo): boolean =>
  BINARY_DATA_TYPES.has(info.dataType) || GEOMETRY_DATA_TYPES.has(info.dataType) || info.dataType === 'bit';

/**
 * Reads a table's rows with the connector's type mapping, for --verify: text of every value (FLOAT as DOUBLE,
 * TIMESTAMP in UTC), bytes of binary, BIT and geometry columns, streamed. As a source the table is
 * `namespace.name`; as a target, `name` in the URL's database.
 */
export async function openMysqlRowReader(url: string, role: 'source' | 'target'): Promise<TableRowReader> {
  const db = await openReplayConnection(url, role);
  return {
    async *readRows(table: TableSchema, side): AsyncIterable<Row> {
      const database = role === 'target' ? db.database : table.id.namespace;
      let info;
      try {
        info = await introspectTable(queryRunnerOf(db.connection as never), database, table.id.name);
      } catch (err) {
        if (err instanceof TableNotFoundError) throw new ConfigError(`--verify: the ${side} has no table ${tableIdText(table.id)}`);
        throw db.fail(err, 'reading the catalog');
      }
      const wanted = info.columns.filter((c) => table.columns.some((t) => t.name === c.name));
      const readers = new Map(wanted.map((c) => [c.name, { binary: isBinary(c), read: textReader(c, columnOf(info, c).type) }]));
      const list = wanted.map((c) => (c.dataType === 'float' ? `CAST(${quoteId(c.name)} AS DOUBLE) AS ${quoteId(c.name)}` : quoteId(c.name)));
      const sql = `SELECT ${list.length > 0 ? list.join(', ') : 'NULL'} FROM ${quoteId(database)}.${quoteId(table.id.name)}`;
      // The callback connection underneath streams rows (the promise API buffers every row).
      const raw = (db.connection as unknown as { connection: { query(options: object): { stream(options: object): AsyncIterable<Row> } } }).connection;
      const stream = raw.query({
        sql,
        typeCast: (field: { name: string; string(): string | null; buffer(): Buffer | null }) => {
          const reader = readers.get(field.name);
          const raw = reader?.binary ? field.buffer() : field.string();
          return raw === null || !reader ? raw : reader.read(raw);
        },
      }).stream({ highWaterMark: 1000 });
      for await (const row of stream) yield row;
    },
    close: () => db.connection.end().catch(() => {}),
  };
}
