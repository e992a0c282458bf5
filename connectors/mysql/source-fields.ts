import type { SourceFields } from '../../src/model/change-event.js';

const MARIADB_GTID = /^\d+-(\d+)-\d+$/;

/**
 * A row change's place in the binlog as Debezium's MySQL/MariaDB connectors write it in the `source` block:
 * `file`, `pos` (the start of the rows event), `row` (the row's index in that event) and `server_id` (of the
 * server that wrote the transaction: a MariaDB GTID names it; 0 where logtap does not read it). `thread` stays
 * null, as Debezium's MariaDB connector writes it.
 */
export function binlogSourceFields(file: string, pos: number, row: number, gtid: string | undefined): SourceFields {
  const server = gtid === undefined ? undefined : MARIADB_GTID.exec(gtid)?.[1];
  return { file, pos, row, server_id: server === undefined ? 0 : Number(server) };
}
