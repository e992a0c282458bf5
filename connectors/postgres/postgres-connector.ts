import type pg from 'pg';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, LogtapError } from '../../src/errors.js';
import type { SourcePosition } from '../../src/model/change-event.js';
import type { TableId } from '../../src/model/table-schema.js';
import type { CheckFinding, ConnectorOptions, NextTransaction, PositionControl, SourceConnector, SourceHandler } from '../../src/source/source-connector.js';
import { ChangeTranslator } from './change-translator.js';
import { capturedTables, filteredMember, publicationMembers, type PgTableChoice } from './captured-tables.js';
import type { SchemaChange } from '../../src/schema-changes/schema-change.js';
import { tableIdText } from '../../src/model/table-schema.js';
import { tableFilter } from '../../src/config/table-pattern.js';
import { type Lsn, formatLsn, maxLsn } from './lsn.js';
import { closeQuietly, connectedUrl, openCatalogClient, pgClientConfig } from './pg-client.js';
import { type PgEndpoint, pgEndpoint, scrub } from './pg-endpoint.js';
import { SourceSetupError, mapPgError } from './pg-errors.js';
import { derivedObjectName, parseTableName, quoteIdent } from './pg-identifiers.js';
import { type PgPosition, coveredBelow, fromSourcePosition, positionDisplay } from './pg-position.js';
import { runPreflight } from './preflight.js';
import { addToPublication, ensurePublication } from './publication.js';
import { RelationCache } from './relation-cache.js';
import { readPublishedShapes } from './row-rewrite.js';
import { TableShapes } from './table-shapes.js';
import { probeSourceClock } from './source-clock.js';
import { DEFAULT_TIMING, ReplicationSession, type SessionTiming } from './replication-session.js';
import { ResumeFilter } from './resume-filter.js';
import { UnchangedToastReader } from './unchanged-toast.js';
import { prepareSlot, readSlot } from './slot.js';
import { STANDBY_DECODING_VERSION, type ServerRole, readServerRole, wantsFailoverSlot } from './server-role.js';
import { parseUserPosition, slotRefusal } from './user-position.js';
import { peekNextTransaction } from './next-transaction.js';
import { openSessionSpillDir, removeSessionSpillDir } from './spill-dir.js';
import { type MessageSink, StreamSpool } from './stream-spool.js';

/** How often a standby looks whether the slot became free. */
const STANDBY_POLL_MS = 1_000;
/** At most this often, at a keepalive, the server's WAL end and clock are read (an idle source's watermark). */
const SOURCE_CLOCK_PROBE_MS = 1_000;

/** At most this often, while idle (at a keepalive), the catalog is compared with the captured tables' known shapes. */
const SHAPE_POLL_MS = 10_000;
/** pgoutput streams in-progress transactions from protocol 2 on, PostgreSQL 14. */
const STREAMING_SINCE = 140_000;
import { createPgSnapshotSource } from './snapshot-source.js';
import { isPgSnapshotToken } from './snapshot-position.js';
import type { SnapshotSource } from '../../src/source/snapshot-source.js';
import type { BackfillSource } from '../../src/backfill/backfill-source.js';
import { DEFAULT_PG_SIGNAL_TABLE, createPgBackfillSource } from './backfill-source.js';
import type { SetupPlan, SetupPlanOptions } from '../../src/setup/setup-plan.js';
import { planPostgresSetup } from './setup-plan.js';
import { createPgRowDeleter } from './row-deleter.js';

/** Knobs for tests and operations; the defaults suit production. */
export type PostgresConnectorTuning = Partial<SessionTiming>;

/** The names the connector derives from its options (slot, publication), exported for tools and tests. */
export function postgresObjectNames(connectorName: string): { slot: string; publication: string } {
  const name = derivedObjectName(connectorName);
  return { slot: name, publication: name };
}

/**
 * The PostgreSQL source: streams a pgoutput logical replication slot (created with its publication on
 * first use) through the SourceHandler, and moves the slot's confirmed position only on `release`.
 * See docs/postgres-connector.md.
 */
export function createPostgresConnector(options: ConnectorOptions, tuning: PostgresConnectorTuning = {}): SourceConnector {
  return new PostgresConnector(options, { ...DEFAULT_TIMING, ...tuning });
}

class PostgresConnector implements SourceConnector {
  readonly kind = 'postgres' as const;
  readonly debeziumConnector = 'postgresql' as const;
  readonly database: string;
  readonly snapshots: SnapshotSource;
  readonly backfills: BackfillSource | undefined;

  private readonly endpoint: PgEndpoint;
  private readonly slotName: string;
  private readonly publicationName: string;
  /** The configured tables (names or globs), per-table settings and the signal table: what the publication holds. */
  private readonly choice: PgTableChoice;
  private readonly log: ConnectorOptions['log'];
  /** The furthest complete position released; survives sessions (applied when the next one starts). */
  private released: Lsn | null = null;
  private session: ReplicationSession | null = null;
  private streaming: Promise<void> | null = null;
  /** The catalog connection while streaming, for sourceLag (pg.Client queues it behind catalog queries). */
  private catalog: pg.Client | null = null;
  private readonly closing = new AbortController();

  constructor(
    private readonly options: ConnectorOptions,
    private readonly timing: SessionTiming,
  ) {
    try {
      this.endpoint = pgEndpoint(options.url);
    } catch {
      throw new ConfigError('source.url is not a valid postgres:// URL');
    }
    this.database = this.endpoint.database;
    const names = postgresObjectNames(options.name);
    this.slotName = names.slot;
    this.publicationName = names.publication;
    if (options.tables !== undefined && options.tables.length === 0) {
      throw new ConfigError('source.tables is empty: list the tables to stream, or leave it out to stream every table');
    }
    const signalTable = options.signalTable === undefined ? undefined : options.signalTable === '' ? DEFAULT_PG_SIGNAL_TABLE : parseTableName(options.signalTable);
    this.choice = { filter: tableFilter(options.tables, options.excludeTables), settings: options.tableSettings ?? {}, signalTable };
    this.log = options.log.child({ connector: options.name, slot: this.slotName });
    this.snapshots = createPgSnapshotSource({
      url: options.url, endpoint: this.endpoint, connectorName: options.name, database: this.database, slotName: this.slotName,
      publicationName: this.publicationName, choice: this.choice, applicationName: (role) => this.applicationName(role), log: this.log,
    });
    // Without a signal table, backfills the daemon asks for itself use logical messages as watermarks.
    this.backfills = (signalTable || options.internalBackfills) ? createPgBackfillSource({
      url: options.url, endpoint: this.endpoint, publicationName: this.publicationName, signalTable, tableSettings: options.tableSettings,
      applicationName: (role) => this.applicationName(role), log: this.log,
    }) : undefined;
  }

  check(): Promise<CheckFinding[]> {
    return runPreflight({
      url: this.options.url,
      endpoint: this.endpoint,
      applicationName: this.applicationName('check'),
      slotName: this.slotName,
      publicationName: this.publicationName,
      tables: undefined,
      choice: { ...this.choice, signalTable: undefined },
      unchangedToast: this.options.unchangedToast ?? 'read-back',
      signalTable: this.options.signalTable !== undefined,
      internalBackfills: this.options.internalBackfills ?? false,
    });
  }

  setupPlan(options: SetupPlanOptions): Promise<SetupPlan> {
    return planPostgresSetup(this.options.url, this.endpoint, options);
  }

  async stream(from: SourcePosition | null, handler: SourceHandler, signal: AbortSignal, started?: () => void): Promise<void> {
    if (this.closing.signal.aborted) throw new Error('the PostgreSQL connector is closed');
    if (this.streaming) throw new Error('the PostgreSQL connector is already streaming');
    const run = this.runStream(from, handler, AbortSignal.any([signal, this.closing.signal]), started);
    this.streaming = run.then(() => {}, () => {});
    try {
      await run;
    } finally {
      this.streaming = null;
    }
  }

  async release(position: SourcePosition): Promise<void> {
    // Inside a snapshot the slot must keep its WAL from the stream start point on: nothing is released.
    if (isPgSnapshotToken(position.token)) return;
    const released = fromSourcePosition(position);
    // A partial position names a transaction still open: the slot must resend it, nothing new is released.
    if (released.kind !== 'complete') return;
    if (this.released !== null && released.lsn <= this.released) return;
    this.released = released.lsn;
    this.session?.release(released.lsn);
  }

  /** A standby waits while another session (the active instance) streams from the slot. */
  async awaitExclusive(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const catalog = await openCatalogClient(this.options.url, this.applicationName('standby'), this.endpoint);
    try {
      let waiting = false;
      while (!signal.aborted) {
        let slot;
        try {
          slot = await readSlot(catalog, this.slotName);
        } catch (err) {
          throw mapPgError(err, this.endpoint, 'looking at the replication slot');
        }
        if (!slot?.active) {
          if (waiting) this.log.info({}, 'the replication slot is free: taking over');
          return;
        }
        if (!waiting) this.log.info({ activePid: slot.activePid }, 'standby: the replication slot is in use (another instance named alike streams); waiting to take over');
        waiting = true;
        await sleep(STANDBY_POLL_MS, undefined, { signal }).catch(() => {});
      }
    } finally {
      await closeQuietly(catalog);
    }
  }

  async activeInstance(): Promise<string | null> {
    const slot = await this.withCatalog('looking at the replication slot', (db) => readSlot(db, this.slotName));
    return slot?.active ? `replication slot ${this.slotName} is active (walsender pid ${slot.activePid ?? '?'}): an instance streams this connector` : null;
  }

  readonly positions: PositionControl = {
    parse: parseUserPosition,
    refusal: async (position) => slotRefusal(await this.withCatalog('looking at the replication slot', (db) => readSlot(db, this.slotName)), this.slotName, position),
  };

  readonly rowDeleter = createPgRowDeleter((doing, work) => this.withCatalog(doing, work));

  nextTransaction(from: SourcePosition): Promise<NextTransaction | null> {
    return this.withCatalog('peeking the replication slot', (db) =>
      peekNextTransaction(db, this.slotName, this.publicationName, this.options.outboxPrefix, fromSourcePosition(from)));
  }

  /** A short catalog query on a connection of its own. */
  private async withCatalog<T>(doing: string, work: (db: pg.Client) => Promise<T>): Promise<T> {
    const catalog = await openCatalogClient(this.options.url, this.applicationName('offsets'), this.endpoint);
    try {
      return await work(catalog);
    } catch (err) {
      throw mapPgError(err, this.endpoint, doing);
    } finally {
      await closeQuietly(catalog);
    }
  }

  async sourceLag(): Promise<{ bytes: number } | null> {
    const catalog = this.catalog;
    if (!catalog) return null;
    // The WAL the slot holds back: from its restart point to the server's current end.
    const retained = (await readSlot(catalog, this.slotName))?.retainedBytes;
    return retained === null || retained === undefined ? null : { bytes: Number(retained) };
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.streaming;
  }

  private applicationName(role: string): string {
    return `logtap:${this.options.name}:${role}`.slice(0, 63);
  }

  private async runStream(fromToken: SourcePosition | null, handler: SourceHandler, signal: AbortSignal, started?: () => void): Promise<void> {
    if (signal.aborted) return;
    const from = fromToken ? fromSourcePosition(fromToken) : null;
    let session: ReplicationSession | undefined;
    let spillDir: string | undefined;
    let spool: StreamSpool | undefined;
    let catalogLost: LogtapError | undefined;
    const catalog = await openCatalogClient(this.options.url, this.applicationName('catalog'), this.endpoint, (err) => {
      catalogLost ??= err;
      session?.fail(err);
    });
    // Preparing can wait long (creating a slot waits for the transactions open at that moment): an abort
    // drops the catalog connection, and the stream ends at once.
    const onAbort = () => (catalog as { connection?: { stream?: { destroy?(): void } } }).connection?.stream?.destroy?.();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal.aborted) return;
      try {
        ({ session, spillDir, spool } = await this.prepare(catalog, from, handler));
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
      if (catalogLost) throw catalogLost;
      if (signal.aborted) return;
      this.session = session;
      this.catalog = catalog;
      // The slot exists (created now, on a first start): every transaction committing from here on is streamed.
      started?.();
      // The session's failures are LogtapErrors, or the handler's own errors as they were thrown.
      await session.run(signal);
    } finally {
      if (session) this.released = maxLsn(this.released ?? 0n, session.releasedLsn);
      this.session = null;
      this.catalog = null;
      await closeQuietly(catalog);
      await spool?.close();
      if (spillDir) await removeSessionSpillDir(spillDir);
    }
  }

  /** Checks the server, brings publication and slot in line, and builds the session (not started). */
  private async prepare(db: pg.Client, from: PgPosition | null, handler: SourceHandler): Promise<{ session: ReplicationSession; spillDir?: string; spool?: StreamSpool }> {
    const log = this.log;
    const step = async <T>(doing: string, work: () => Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (err) {
        throw mapPgError(err, this.endpoint, doing);
      }
    };
    const role = await step('checking the server', () => this.requireLogicalDecoding(db));
    // A multi-host source.url: the replication connection goes to the server the catalog connection found.
    const serverUrl = connectedUrl(db, this.options.url);
    const members = await step('looking up the tables', () => publicationMembers(db, this.choice, this.database));
    await step('preparing the publication', () => ensurePublication(db, this.publicationName, members, log));
    const slot = await step('preparing the replication slot', () =>
      prepareSlot({ db, slotName: this.slotName, database: this.database, connectorName: this.options.name, log, failover: wantsFailoverSlot(role), standby: role.standby }, from),
    );
    const confirmed = slot.confirmedFlushLsn ?? 0n;
    const released = maxLsn(this.released ?? 0n, confirmed);
    this.released = released;
    // The server skips every transaction committing below its start; a partial position's own transaction is resent.
    const startLsn = from ? maxLsn(coveredBelow(from), confirmed) : confirmed;
    const shapes = new TableShapes(db, () => readPublishedShapes(db, this.publicationName));
    // With a table list decided by patterns, tables created later that match are added as they are seen.
    const newTables = members !== undefined && !this.choice.filter.exactOnly ? () => this.pickUpNewTables(db, role.versionNum >= 150000) : async () => [];
    await step('reading the published tables', () => shapes.start());
    const translator = new ChangeTranslator({
      relations: new RelationCache(db, log, (err) => mapPgError(err, this.endpoint, 'reading the catalog'), shapes),
      shapes: { poll: () => step('looking for altered and new tables', async () => [...(await newTables()), ...(await shapes.poll())]), everyMs: SHAPE_POLL_MS },
      handler,
      resume: new ResumeFilter(from),
      startLsn,
      outboxPrefix: this.options.outboxPrefix,
      unchangedToast: this.options.unchangedToast ?? 'read-back',
      reader: new UnchangedToastReader(db, log, this.options.metrics, (err) => mapPgError(err, this.endpoint, 'reading back unchanged TOASTed values')),
      ...(this.options.sourceClock ? { clock: { probe: () => step('reading the server clock', () => probeSourceClock(db)), everyMs: SOURCE_CLOCK_PROBE_MS } } : {}),
      log,
    });
    const streaming = (this.options.streaming?.mode ?? 'auto') === 'auto' && role.versionNum >= STREAMING_SINCE;
    let messages: MessageSink = translator;
    let spillDir: string | undefined;
    let spool: StreamSpool | undefined;
    if (streaming) {
      spillDir = await openSessionSpillDir(this.options.streaming?.spillDir ?? join(tmpdir(), `logtap-${this.options.name}`));
      spool = new StreamSpool({ dir: spillDir, next: translator, publicationName: this.publicationName, log });
      messages = spool;
    }
    const workMem = this.options.streaming?.workMem;
    const server = pgEndpoint(serverUrl);
    log.info({ from: from ? positionDisplay(from) : null, start: formatLsn(startLsn), publication: this.publicationName, server: `${server.host}:${server.port}`, standby: role.standby, inProgressTransactions: streaming ? 'streamed' : 'at commit' }, 'streaming from PostgreSQL');
    const session = new ReplicationSession({
      clientConfig: pgClientConfig(serverUrl, this.applicationName('replication'), workMem ? { logical_decoding_work_mem: workMem } : {}),
      endpoint: server,
      slotName: this.slotName,
      publicationName: this.publicationName,
      startLsn,
      releasedLsn: released,
      messages,
      streaming,
      timing: this.timing,
      log,
    });
    return { session, ...(spillDir ? { spillDir } : {}), ...(spool ? { spool } : {}) };
  }

  /**
   * Tables the patterns match that the publication lacks (created since the start): each is added to the
   * publication, and reported as a schema change that rewrote rows, so the resync (src/schema-changes/) publishes
   * what it held before it was added through the online backfill; its changes stream from the ALTER's commit on.
   */
  /** `filters`: the server takes column lists and row filters in a publication (15+). */
  private async pickUpNewTables(db: pg.Client, filters: boolean): Promise<SchemaChange[]> {
    const wanted = await capturedTables(db, this.choice.filter, this.database, true);
    if (!wanted) return [];
    const { rows } = await db.query<{ namespace: string; name: string }>(
      'SELECT schemaname::text AS namespace, tablename::text AS name FROM pg_catalog.pg_publication_tables WHERE pubname = $1', [this.publicationName]);
    const have = new Set(rows.map((r) => tableIdText(r)));
    const changes: SchemaChange[] = [];
    for (const id of wanted) {
      if (have.has(tableIdText(id))) continue;
      await addToPublication(db, this.publicationName, filters ? await filteredMember(db, id, this.choice.settings) : { id });
      this.log.info({ table: tableIdText(id), publication: this.publicationName }, 'a new table matches source.tables: added to the publication');
      changes.push({ table: id, rewritesRows: true, reason: 'new-table', columns: [] });
    }
    return changes;
  }

  /** wal_level and the REPLICATION attribute, checked before anything is created; a standby must be 16+. */
  private async requireLogicalDecoding(db: pg.Client): Promise<ServerRole> {
    const { rows } = await db.query<{ wal_level: string; role: string; may_replicate: boolean }>(
      `SELECT current_setting('wal_level') AS wal_level, current_user::text AS role,
              COALESCE((SELECT rolsuper OR rolreplication FROM pg_catalog.pg_roles WHERE rolname = current_user), false) AS may_replicate`,
    );
    const row = rows[0]!;
    if (row.wal_level !== 'logical') {
      throw new SourceSetupError(scrub(`PostgreSQL at ${this.endpoint.host}:${this.endpoint.port} runs with wal_level=${row.wal_level}; logical decoding needs wal_level=logical — run ALTER SYSTEM SET wal_level = logical; and restart PostgreSQL`, this.endpoint));
    }
    if (!row.may_replicate) {
      const role = quoteIdent(row.role);
      throw new SourceSetupError(`role ${role} may not stream changes: it lacks the REPLICATION attribute — run ALTER ROLE ${role} REPLICATION; as a superuser`);
    }
    const server = await readServerRole(db);
    if (server.standby && server.versionNum < STANDBY_DECODING_VERSION) {
      throw new SourceSetupError(scrub(`PostgreSQL at ${this.endpoint.host}:${this.endpoint.port} is a standby of version ${Math.floor(server.versionNum / 10000)}: logical decoding on a standby needs PostgreSQL 16 or later — point source.url at the primary`, this.endpoint));
    }
    return server;
  }
}
