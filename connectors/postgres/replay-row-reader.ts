import pg from 'pg';
import type { Row } from '../../src/model/change-event.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import { tableIdText } from '../../src/model/table-schema.js';
import { ConfigError } from '../../src/errors.js';
import type { TableRowReader } from '../../src/replay/replay-target.js';
import { closeQuietly, openCatalogClient } from './pg-client.js';
import { pgEndpoint } from './pg-endpoint.js';
import { mapPgError } from './pg-errors.js';
import { quoteIdent, rowsOf } from './pg-identifiers.js';
import { TableNotFoundError, introspectTable } from './introspect-columns.js';
import { mapTable } from './column-mapping.js';
import { compileRowDecoder, type RawTuple } from './text-decoder.js';

/** Every value as the server's text (the session settings of pgClientConfig), for the connector's text decoder. */
const RAW_TEXT = { getTypeParser: () => (text: string) => text };
const FETCH_ROWS = 10_000;

/**
 * Reads a table's rows through the connector's own text decoder (the values logtap publishes), in pages
 * of a cursor inside a read-only transaction: one consistent view, bounded memory.
 */
export async function openPgRowReader(url: string): Promise<TableRowReader> {
  const endpoint = pgEndpoint(url);
  // A multi-host source.url: the rows are read on its primary.
  const client = await openCatalogClient(url, 'logtap-replay-verify', endpoint).catch((err: unknown) => {
    throw mapPgError(err, endpoint, 'connecting to read rows for --verify');
  });
  let cursors = 0;
  return {
    async *readRows(table: TableSchema, side): AsyncIterable<Row> {
      let info;
      try {
        info = await introspectTable(client, table.id);
      } catch (err) {
        if (err instanceof TableNotFoundError) throw new ConfigError(`--verify: the ${side} has no table ${tableIdText(table.id)}`);
        throw mapPgError(err, endpoint, 'reading the catalog');
      }
      const described = mapTable(info);
      const mapped = described.columns.filter((c) => table.columns.some((t) => t.name === c.name));
      const decode = compileRowDecoder(mapped);
      const cursor = `logtap_verify_${++cursors}`;
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const list = mapped.length > 0 ? mapped.map((c) => quoteIdent(c.name)).join(', ') : 'NULL';
        await client.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR SELECT ${list} FROM ${rowsOf(table.id, described.partitioned)}`);
        for (;;) {
          const result = await client.query({ text: `FETCH ${FETCH_ROWS} FROM ${cursor}`, types: RAW_TEXT });
          for (const raw of result.rows as RawTuple[]) yield decode(raw);
          if (result.rows.length < FETCH_ROWS) break;
        }
      } finally {
        await client.query('COMMIT').catch(() => {});
      }
    },
    close: () => closeQuietly(client),
  };
}
