import type { ChangeEvent, Row, SourcePosition } from '../model/change-event.js';
import type { TableId } from '../model/table-schema.js';
import type { Logger } from '../logger.js';
import type { SnapshotSource } from './snapshot-source.js';
import type { BackfillSource, Watermark } from '../backfill/backfill-source.js';
import type { SchemaChange } from '../schema-changes/schema-change.js';
import type { SetupPlan, SetupPlanOptions } from '../setup/setup-plan.js';
import type { TableSettings } from '../config/table-settings.js';

/** What every connector is built from (the config's source section, validated, plus the connector name). */
export interface ConnectorOptions {
  /** Config `name`: the slot, publication, server id and checkpoint key derive from it. */
  name: string;
  url: string;
  /** `namespace.table` names or globs of them (src/config/table-pattern.ts); undefined: every table. */
  tables?: string[] | undefined;
  /** Tables left out of `tables` (names or globs). */
  excludeTables?: string[] | undefined;
  /**
   * The config's per-table settings (src/config/table-settings.ts; resolve with tableSettingsFor): a connector
   * pushes what its source can filter itself (PostgreSQL 15+: column lists and row filters into the publication)
   * and refuses what it cannot (`where` on MySQL/MariaDB). Masks and column choices are applied by the core.
   */
  tableSettings?: Record<string, TableSettings> | undefined;
  /** Logical messages with this prefix are published as outbox messages; undefined: outbox off. */
  outboxPrefix?: string | undefined;
  /** Online backfills on (config `signal`): the signal table, `namespace.table`, or '' for the connector's default. */
  signalTable?: string | undefined;
  /**
   * Backfills the daemon requests itself (the schema-change resync, docs/schema-changes.md): a backfill
   * source even without `signalTable`, with the connector's own watermark channel (PostgreSQL: logical messages;
   * MySQL/MariaDB: `<database>.logtap_signal`, created when first needed).
   */
  internalBackfills?: boolean | undefined;
  /** PostgreSQL: what to do when an UPDATE does not carry an unchanged TOASTed value (config `toast.unchanged`); default read-back. */
  unchangedToast?: UnchangedToastPolicy | undefined;
  /** Watermarks are published (config `watermarks`): heartbeats should carry the source's clock (HeartbeatInfo). */
  sourceClock?: boolean | undefined;
  /** PostgreSQL: in-progress transactions streamed by the server (config `streaming`); absent: mode auto. */
  streaming?: TransactionStreaming | undefined;
  /** What the connector counts as it goes (the daemon's Prometheus metrics); absent: nothing counted. */
  metrics?: SourceMetrics | undefined;
  /**
   * What a table's topic holds now, for a connector that must know what it published before this start (MySQL's
   * foreign-key cascades, src/cascade/). Read before this connector hands anything over, it is exactly the state
   * of the checkpoint it resumes from (exactly-once delivery). Absent when the envelope carries no rows.
   */
  publishedRows?: PublishedRows | undefined;
  log: Logger;
}

/**
 * An UPDATE whose row image lacks an unchanged TOASTed value (PostgreSQL, replica identity not FULL):
 * `read-back` reads the value from the table by key; `fail` stops the stream (docs/postgres-connector.md).
 */
export type UnchangedToastPolicy = 'read-back' | 'fail';

/**
 * PostgreSQL's streaming of in-progress transactions (docs/postgres-connector.md, Large transactions): the
 * server sends a large transaction's changes as it decodes them; the connector spools them to `spillDir` and
 * hands them over at the commit.
 */
export interface TransactionStreaming {
  /** auto: on when the server has it (PostgreSQL 14+); off: the server sends each transaction whole at its commit. */
  mode: 'auto' | 'off';
  /** Where the spool files go; default `<os tmpdir>/logtap-<name>`. */
  spillDir?: string | undefined;
  /** logical_decoding_work_mem of logtap's walsender (`64MB`, `512kB`): how much the server decodes before streaming; default the server's. */
  workMem?: string | undefined;
}

/** What a connector reports as it goes; src/ops/daemon-metrics.ts implements it. */
export interface SourceMetrics {
  /**
   * Updates of `table` (namespace.table) whose unchanged TOASTed values were read back from the source:
   * `rows` read, of which `gone` were no longer there (their update is not published; see the connector's docs).
   */
  unchangedValuesRead?(table: string, rows: number, gone: number): void;
}

/** Calls `onRow` once per row a table's compacted topic holds (the last record of each key, deleted keys left out). */
export type PublishedRows = (table: TableId, onRow: (row: Row) => void, signal?: AbortSignal) => Promise<void>;

export type ConnectorFactory = (options: ConnectorOptions) => SourceConnector;

/** One preflight finding of `logtap check`: what is wrong and how to fix it. */
export interface CheckFinding {
  level: 'error' | 'warning';
  /** Short stable id, e.g. `wal_level`, `replication_privilege`, `no_primary_key:public.t`. */
  id: string;
  message: string;
  fix: string;
}

/**
 * What the pipeline needs from a database connector (connectors/<db>/ implement it). Positions are
 * opaque here: the connector writes and reads their tokens.
 *
 * A position names *where it is safe to restart*: streaming from a position delivers exactly the changes
 * after it (the connector skips what the position says was already published, even inside a source
 * transaction).
 */
export interface SourceConnector {
  readonly kind: 'postgres' | 'mysql';
  /** Debezium's name of the source, for its envelope. */
  readonly debeziumConnector: 'postgresql' | 'mysql';
  /** The source database's name. */
  readonly database: string;

  /** Preflight: every problem that would stop or degrade streaming, each with its fix. Changes nothing. */
  check(): Promise<CheckFinding[]>;

  /**
   * Optional, for `logtap init`: what an administrator must run so that a least-privilege role can run this
   * connector, from a read-only look at the source (src/setup/setup-plan.ts).
   */
  setupPlan?(options: SetupPlanOptions): Promise<SetupPlan>;

  /** The initial snapshot (src/source/snapshot-source.ts); absent: the connector can only stream. */
  readonly snapshots?: SnapshotSource;

  /** Online backfills (src/backfill/backfill-source.ts); present when `signalTable` or `internalBackfills` was given. */
  readonly backfills?: BackfillSource;

  /**
   * Streams changes after `from` (null: from the source's own start point, e.g. a new slot), calling the
   * handler in log order and awaiting each call before reading on, so a slow sink pauses the source.
   * Resolves when `signal` aborts; rejects on a failure (a LogtapError says whether to retry).
   * `started` is called once, before any change is handed over, when the source has fixed where it reads from
   * (the slot exists, the binlog position is read): every change committed after that call is captured. The
   * daemon says `streaming` only then, so a change written after that line is never missed.
   */
  stream(from: SourcePosition | null, handler: SourceHandler, signal: AbortSignal, started?: () => void): Promise<void>;

  /**
   * The changes up to `position` are durable in Kafka and checkpointed: the source may discard its log
   * up to there. Called only after the checkpoint holding `position` was committed.
   */
  release(position: SourcePosition): Promise<void>;

  /**
   * Optional, for metrics: how much log the source keeps for this connector beyond what was released
   * (PostgreSQL: WAL retained by the slot; MySQL: binlog bytes after the released position). Null when
   * not streaming or not measurable (e.g. a MySQL GTID position).
   */
  sourceLag?(): Promise<{ bytes: number } | null>;

  /**
   * Optional: resolves once no other instance holds this connector's stream at the source (PostgreSQL: its
   * slot is not active; MySQL: this instance got the named lock, held until close), or when `signal` aborts.
   * A standby with the same name waits here, before it fences the active one in Kafka (docs/operations.md).
   */
  awaitExclusive?(signal: AbortSignal): Promise<void>;

  /**
   * Optional: whether an instance streams this connector now, without waiting or taking anything: a line
   * naming it (PostgreSQL: the slot is active, with its pid; MySQL: the named lock is held, by which
   * connection), or null when none does. Tools that act on a stopped connector (logtap offsets, snapshot) ask.
   */
  activeInstance?(): Promise<string | null>;

  /** Optional: deletes published outbox rows (config outbox.tables[].deleteAfterCapture, src/outbox/). */
  readonly rowDeleter?: RowDeleter;

  /** Optional: positions as people write them, for moving a stopped connector's checkpoint (logtap offsets set). */
  readonly positions?: PositionControl;

  /**
   * Optional: the source transaction after `from` read straight from the log without decoding its values (a
   * change the connector cannot decode is what usually stops it), or null when none follows yet. Absent: the
   * core streams the connector up to the next commit instead (src/offsets/next-transaction.ts).
   */
  nextTransaction?(from: SourcePosition): Promise<NextTransaction | null>;

  close(): Promise<void>;
}

/** Deletes rows by one column's values, on a connection of its own (src/outbox/outbox-cleanup.ts). */
export interface RowDeleter {
  /** Deletes the rows of `table` whose `column` holds one of `values` (canonical values); resolves with how many. */
  deleteRows(table: TableId, column: string, values: readonly unknown[]): Promise<number>;
  /** Whether the connector's user may delete from `table` (logtap check), or a reason it cannot tell. */
  mayDelete(table: TableId): Promise<boolean>;
}

/** The source transaction that follows a checkpoint (logtap offsets skip-current-transaction). */
export interface NextTransaction {
  txId: string | null;
  /** Its changes the checkpoint had not published (all of them, unless the checkpoint lies inside it). */
  changes: number;
  /** Transactional outbox messages in it. */
  messages: number;
  /** The tables it changes, `namespace.table`, in the order first met. */
  tables: string[];
  commitTimeMicros: bigint | null;
  /** Right after its commit: the position the daemon would checkpoint once it had published it. */
  end: SourcePosition;
}

/** Reading and vetting a position a user gives (src/cli/commands/offsets.ts). */
export interface PositionControl {
  /**
   * A position as the user wrote it (PostgreSQL: an LSN such as `0/16B3748`; MySQL: `file:offset` or a GTID
   * set; either: a checkpoint token) as a complete position; a ConfigError names the expected forms.
   */
  parse(text: string): SourcePosition;
  /** Why the source could not resume exactly at `position` (a PostgreSQL slot confirmed past it), or null. */
  refusal(position: SourcePosition): Promise<string | null>;
}

export interface SourceHandler {
  /** One row change (or truncate); `event.position` names the change itself. */
  onChange(event: ChangeEvent): Promise<void> | void;
  /** A source transaction ended: every change up to `position` has been handed over. */
  onCommit(position: SourcePosition, info: CommitInfo): Promise<void> | void;
  /**
   * The source moved to `position` with nothing to publish (idle, or only unpublished tables), with no
   * transaction open: checkpointing it keeps the retained log bounded.
   */
  onHeartbeat(position: SourcePosition, info?: HeartbeatInfo): Promise<void> | void;
  /** An outbox message the application wrote into the log (PostgreSQL: pg_logical_emit_message with prefix logtap.outbox). */
  onMessage?(message: OutboxMessage): Promise<void> | void;
  /**
   * A captured table's definition changed at this point of the log (before any change in its new shape is
   * handed over); `rewritesRows`: existing rows got new values without row events (src/schema-changes/).
   */
  onSchemaChange?(change: SchemaChange): Promise<void> | void;
  /** A backfill watermark the connector's own channel carried (PostgreSQL: a logical message; src/backfill/). */
  onWatermark?(mark: Watermark): Promise<void> | void;
}

/** What a connector knows of a source transaction it saw commit. */
export interface CommitInfo {
  /** The source's commit time (µs since the epoch). */
  commitTimeMicros?: bigint;
  txId?: string;
  /**
   * Every later transaction of the log carries a commit time at or after `commitTimeMicros`, so a watermark may follow
   * commits (MariaDB's binlog order). PostgreSQL stamps a commit before it writes the record: concurrent commits reach
   * the WAL out of time order, and its watermarks come from clock probes only (connectors/postgres/commit-time-bound.ts).
   */
  boundsLaterCommits?: boolean;
}

/** What a heartbeat knows of the source's clock (watermarks, docs/events.md). */
export interface HeartbeatInfo {
  /**
   * Every transaction the source commits after this heartbeat carries a commit time at or after this one
   * (microseconds since the epoch, in the resolution of the commit times the connector hands over).
   */
  sourceTimeMicros?: bigint;
}

/** An application's message to publish as it is, to the topic it names (the transactional outbox pattern). */
export interface OutboxMessage {
  /** The Kafka topic the writer asked for, as written. */
  topic: string;
  /** The record key as text, or null. */
  key: string | null;
  /** Any JSON value; published as JSON text. */
  value: unknown;
  /** Like a change's: inside a transaction, the partial position of this message; outside, complete. */
  position: SourcePosition;
  /** Emitted inside a transaction (published with it) or not (published when decoded). */
  transactional: boolean;
  txId?: string;
  commitTimeMicros?: bigint;
}
