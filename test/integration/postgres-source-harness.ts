import { afterAll, beforeAll } from 'vitest';
import pg from 'pg';
import type { ChangeEvent, SourcePosition } from '../../src/model/change-event.js';
import { silentLogger, type Logger } from '../../src/logger.js';
import type { ConnectorOptions, SourceConnector, SourceHandler } from '../../src/source/source-connector.js';
import { createPostgresConnector, postgresObjectNames, type PostgresConnectorTuning } from '../../connectors/postgres/postgres-connector.js';
import type { OutboxMessage } from '../../src/source/source-connector.js';
import { testBed } from '../helpers/test-bed.js';
import { waitFor } from '../helpers/wait.js';
import { uniqueName } from '../helpers/names.js';

// Shared by the postgres-source*.test.ts files: a SourceHandler that records every call, and a stream
// that can be stopped and inspected. Not a test file itself.

export type Call =
  | { kind: 'change'; event: ChangeEvent }
  | { kind: 'commit'; position: SourcePosition; info: { commitTimeMicros?: bigint; txId?: string } }
  | { kind: 'heartbeat'; position: SourcePosition }
  | { kind: 'message'; message: OutboxMessage };

export class RecordingHandler implements SourceHandler {
  readonly calls: Call[] = [];
  /** Optional hook run inside each call, e.g. to release positions or to slow the handler down. */
  constructor(private readonly hook: (call: Call) => Promise<void> | void = () => {}) {}

  async onChange(event: ChangeEvent): Promise<void> {
    await this.record({ kind: 'change', event });
  }
  async onCommit(position: SourcePosition, info: { commitTimeMicros?: bigint; txId?: string }): Promise<void> {
    await this.record({ kind: 'commit', position, info });
  }
  async onHeartbeat(position: SourcePosition): Promise<void> {
    await this.record({ kind: 'heartbeat', position });
  }
  async onMessage(message: OutboxMessage): Promise<void> {
    await this.record({ kind: 'message', message });
  }

  private async record(call: Call): Promise<void> {
    this.calls.push(call);
    await this.hook(call);
  }

  changes(table?: string): ChangeEvent[] {
    return this.calls.flatMap((c) => (c.kind === 'change' && (!table || c.event.table.id.name === table) ? [c.event] : []));
  }
  commits(): Array<Extract<Call, { kind: 'commit' }>> {
    return this.calls.filter((c): c is Extract<Call, { kind: 'commit' }> => c.kind === 'commit');
  }
  heartbeats(): SourcePosition[] {
    return this.calls.flatMap((c) => (c.kind === 'heartbeat' ? [c.position] : []));
  }
  messages(): OutboxMessage[] {
    return this.calls.flatMap((c) => (c.kind === 'message' ? [c.message] : []));
  }
  /** Calls without heartbeats (their number depends on timing). */
  withoutHeartbeats(): Call[] {
    return this.calls.filter((c) => c.kind !== 'heartbeat');
  }
}

/** A row as plain data (the decoder's rows have no prototype). */
export const plain = (row: Record<string, unknown> | undefined): Record<string, unknown> | undefined => (row ? { ...row } : undefined);

export interface RunningStream {
  connector: SourceConnector;
  handler: RecordingHandler;
  /** Settles when the stream ends; never rejects (see `error`). */
  ended: Promise<void>;
  error: () => unknown;
  /** Aborts, waits for the end, closes the connector; rethrows a stream failure. */
  stop: () => Promise<void>;
}

export interface StreamOptions {
  name: string;
  tables?: string[];
  from?: SourcePosition | null;
  handler?: RecordingHandler;
  url?: string;
  log?: Logger;
  tuning?: PostgresConnectorTuning;
  /** Default: logtap.outbox (on); undefined turns the outbox off. */
  outboxPrefix?: string | undefined;
  unchangedToast?: ConnectorOptions['unchangedToast'];
  metrics?: ConnectorOptions['metrics'];
  /** Default: the connector's (auto). */
  streaming?: ConnectorOptions['streaming'];
}

export const FAST: PostgresConnectorTuning = { statusIntervalMs: 300 };

export function startStream(options: StreamOptions): RunningStream {
  const connector = createPostgresConnector(
    {
      name: options.name, url: options.url ?? testBed().pgUrl, tables: options.tables, outboxPrefix: 'outboxPrefix' in options ? options.outboxPrefix : 'logtap.outbox',
      unchangedToast: options.unchangedToast, metrics: options.metrics, streaming: options.streaming, log: options.log ?? silentLogger,
    },
    options.tuning ?? FAST,
  );
  const handler = options.handler ?? new RecordingHandler();
  const abort = new AbortController();
  let failure: unknown;
  const ended = connector.stream(options.from ?? null, handler, abort.signal).catch((err: unknown) => {
    failure = err;
  });
  return {
    connector,
    handler,
    ended,
    error: () => failure,
    stop: async () => {
      abort.abort();
      await ended;
      await connector.close();
      if (failure) throw failure;
    },
  };
}

export async function admin(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: testBed().pgUrl });
  await client.connect();
  return client;
}

/** The slot's state as pg_replication_slots shows it. */
export async function slotRow(sql: pg.Client, name: string): Promise<{ active: boolean; active_pid: number | null; confirmed_flush_lsn: string } | undefined> {
  const { rows } = await sql.query('SELECT active, active_pid, confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1', [postgresObjectNames(name).slot]);
  return rows[0];
}

/** Waits until the connector's walsender runs (the slot is active). */
export async function waitStreaming(sql: pg.Client, name: string): Promise<number> {
  return waitFor(`slot of ${name} active`, async () => (await slotRow(sql, name))?.active_pid ?? undefined);
}

/** Open connections of the connector (any role), by their application_name. */
export async function connectionsOf(sql: pg.Client, name: string): Promise<number> {
  const { rows } = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE $1`, [`logtap:${name}:%`]);
  return rows[0]!.n;
}

/** Drops the connector's slot (once its walsender has gone) and publication. */
export async function dropConnectorObjects(sql: pg.Client, name: string): Promise<void> {
  const { slot, publication } = postgresObjectNames(name);
  const row = await slotRow(sql, name);
  if (row?.active_pid) await sql.query('SELECT pg_terminate_backend($1)', [row.active_pid]);
  await waitFor(`slot ${slot} released`, async () => ((await slotRow(sql, name))?.active ? undefined : true), 10_000);
  await sql.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  await sql.query(`DROP PUBLICATION IF EXISTS "${publication}"`);
}

export async function currentLsn(sql: pg.Client): Promise<string> {
  return (await sql.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0]!.lsn;
}

/** A Logger that keeps what it was told, to assert on warnings. */
export function recordingLogger(): Logger & { entries: Array<{ level: string; msg: string | undefined; obj: object }> } {
  const entries: Array<{ level: string; msg: string | undefined; obj: object }> = [];
  const at = (level: string) => (obj: object, msg?: string) => {
    entries.push({ level, msg, obj });
  };
  const log = { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return log;
}

/**
 * Per test file: an admin connection, and what the tests create (connector objects, tables) dropped at
 * the end. Call at module level.
 */
export function pgTestContext(): {
  sql: () => pg.Client;
  connectorName: (prefix?: string) => string;
  table: (prefix: string, columns: string, setup?: string[]) => Promise<string>;
  tables: string[];
} {
  let client: pg.Client | undefined;
  const names: string[] = [];
  const tables: string[] = [];
  beforeAll(async () => {
    client = await admin();
  });
  afterAll(async () => {
    if (!client) return;
    for (const name of names) await dropConnectorObjects(client, name).catch(() => {});
    for (const table of tables) await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.end();
  });
  const sql = () => {
    if (!client) throw new Error('pgTestContext: used before beforeAll');
    return client;
  };
  return {
    sql,
    tables,
    connectorName: (prefix = 'src') => {
      const name = uniqueName(prefix);
      names.push(name);
      return name;
    },
    /** Creates a table named after `prefix`; `$T` in the setup statements is its name. */
    table: async (prefix, columns, setup = []) => {
      const name = uniqueName(prefix);
      tables.push(name);
      await sql().query(`CREATE TABLE ${name} (${columns})`);
      for (const statement of setup) await sql().query(statement.replaceAll('$T', name));
      return name;
    },
  };
}
