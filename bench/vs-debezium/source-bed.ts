// One database's side of the comparison: the table both tools capture (the same rows, each tool under its
// own topic prefix), the workloads written into it, the raw limits, and each tool's connection settings.
export interface SourceBed {
  readonly label: 'PostgreSQL' | 'MariaDB';
  /** A fresh table with `rows` pre-existing rows (ids 1..rows) that updates and deletes of the workload hit. */
  createTable(rows: number): Promise<void>;
  /** One row with this payload (a warm-up row, or the workload's closing row the harness watches for). */
  insertRow(payload: string): Promise<void>;
  /** The source's current log position (opaque to the harness). */
  position(): Promise<string>;
  /** Readies the raw reader to read from here (PostgreSQL: its own slot). */
  prepareRaw(): Promise<void>;
  /** Seconds the database's own tool takes to read the log from prepareRaw() to `end` (pg_recvlogical, mariadb-binlog). */
  rawRead(end: string): Promise<number>;
  /** `events` one-statement transactions: 50% insert, 30% update, 20% delete (each exactly one row change). */
  writeMixed(events: number, preexistingRows: number): Promise<void>;
  /** One-row inserts at a fixed rate. */
  writeAtRate(rate: number, seconds: number): void;
  /** Rows inserted with created_us at or after `us` (what a latency phase wrote). */
  countRowsSince(us: number): Promise<number>;
  logtapSource(): { url: string; tables: string[] };
  logtapTopic(prefix: string): string;
  debeziumConnector(name: string, topicPrefix: string): Record<string, string>;
  debeziumTopic(prefix: string): string;
  /** Seconds the database's bulk export of the table takes to /dev/null (PostgreSQL: COPY; MariaDB: a streamed SELECT). */
  rawExport(): Promise<number>;
  readonly rawExportNote: string;
  /** Drops what the run created (slots, publications, tables). */
  cleanup(): Promise<void>;
}
