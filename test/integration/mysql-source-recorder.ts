import mysql from 'mysql2/promise';
import type { ChangeEvent, SourcePosition } from '../../src/model/change-event.js';
import type { Logger } from '../../src/logger.js';
import type { SourceConnector, SourceHandler } from '../../src/source/source-connector.js';
import { createMysqlConnector } from '../../connectors/mysql/mysql-connector.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';

/** Shared by the mysql-source integration tests: a recording handler, a capturing logger, a stream runner. */

export type Recorded =
  | { kind: 'change'; event: ChangeEvent }
  | { kind: 'commit'; position: SourcePosition; txId: string | undefined; commitTimeMicros: bigint | undefined }
  | { kind: 'heartbeat'; position: SourcePosition };

/** A SourceHandler that records every call in order; `slow` may delay any call (backpressure tests). */
export class Recorder implements SourceHandler {
  readonly calls: Recorded[] = [];
  slow: ((call: Recorded) => Promise<void> | void) | undefined;
  /** Called after each change is recorded (e.g. to abort a run at a given change). */
  afterChange: ((event: ChangeEvent, count: number) => void) | undefined;
  private changeCount = 0;

  get changes(): ChangeEvent[] {
    return this.calls.flatMap((c) => (c.kind === 'change' ? [c.event] : []));
  }
  get commits(): Array<Extract<Recorded, { kind: 'commit' }>> {
    return this.calls.filter((c): c is Extract<Recorded, { kind: 'commit' }> => c.kind === 'commit');
  }
  get heartbeats(): SourcePosition[] {
    return this.calls.flatMap((c) => (c.kind === 'heartbeat' ? [c.position] : []));
  }
  /** The position a core would checkpoint now: that of the last call. */
  get lastPosition(): SourcePosition | undefined {
    const last = this.calls.at(-1);
    return last?.kind === 'change' ? last.event.position : last?.position;
  }
  /** Changes of one table only (the shared server carries other tests' transactions too). */
  changesOf(table: string): ChangeEvent[] {
    return this.changes.filter((e) => e.table.id.name === table);
  }

  onChange(event: ChangeEvent): Promise<void> | void {
    const call: Recorded = { kind: 'change', event };
    this.calls.push(call);
    this.afterChange?.(event, ++this.changeCount);
    return this.slow?.(call);
  }
  onCommit(position: SourcePosition, info: { commitTimeMicros?: bigint; txId?: string }): Promise<void> | void {
    const call: Recorded = { kind: 'commit', position, txId: info.txId, commitTimeMicros: info.commitTimeMicros };
    this.calls.push(call);
    return this.slow?.(call);
  }
  onHeartbeat(position: SourcePosition): Promise<void> | void {
    const call: Recorded = { kind: 'heartbeat', position };
    this.calls.push(call);
    return this.slow?.(call);
  }
}

/** A Logger that keeps every entry, for the tests that need what the connector logged (e.g. its binlog thread id). */
export function capturingLogger(): Logger & { entries: Array<{ level: string; obj: Record<string, unknown>; msg: string | undefined }> } {
  const entries: Array<{ level: string; obj: Record<string, unknown>; msg: string | undefined }> = [];
  const at = (level: string) => (obj: object, msg?: string) => {
    entries.push({ level, obj: obj as Record<string, unknown>, msg });
  };
  const logger = { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

export interface StreamRun {
  recorder: Recorder;
  log: ReturnType<typeof capturingLogger>;
  connector: SourceConnector;
  /** Settles when the stream ends; never rejects (see `error`). */
  done: Promise<void>;
  error: () => unknown;
  /** The binlog dump's connection id once streaming. */
  threadId: () => Promise<number>;
  stop(): Promise<void>;
}

/** Starts `stream` on a new connector instance and waits until the binlog dump runs. */
export async function startStream(options: { url: string; name?: string; tables?: string[]; from?: SourcePosition | null; recorder?: Recorder }): Promise<StreamRun> {
  const log = capturingLogger();
  const recorder = options.recorder ?? new Recorder();
  const connector = createMysqlConnector({ name: options.name ?? uniqueName('mysqlsrc'), url: options.url, tables: options.tables, log });
  const abort = new AbortController();
  let failure: unknown;
  let ended = false;
  const done = connector.stream(options.from ?? null, recorder, abort.signal).catch((err: unknown) => {
    failure = err;
  }).finally(() => {
    ended = true;
  });
  const threadId = () => waitFor('the binlog stream to start', () => {
    if (ended) throw new Error(`the stream ended before it started: ${String(failure)}`);
    const entry = log.entries.find((e) => e.msg === 'binlog stream started');
    return entry ? Number(entry.obj.binlogThreadId) : undefined;
  }, 15_000, 20);
  await threadId().catch(() => {});
  return {
    recorder, log, connector, done, threadId,
    error: () => failure,
    async stop() {
      abort.abort();
      await done;
      await connector.close();
    },
  };
}

/** The test bed's MariaDB URL pointing at `database`, with extra query parameters. */
export function sourceUrl(database: string, params: Record<string, string> = {}): string {
  const url = new URL(testBed().mysqlUrl);
  url.pathname = `/${database}`;
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}

export function adminConnection(): Promise<mysql.Connection> {
  const url = new URL(testBed().mysqlUrl);
  return mysql.createConnection({
    host: url.hostname, port: Number(url.port), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password),
    multipleStatements: true, supportBigNumbers: true, bigNumberStrings: true,
  });
}

/** The server's GTID position now, as a complete position token. */
export async function currentGtidToken(sql: mysql.Connection): Promise<SourcePosition> {
  const [rows] = await sql.query<mysql.RowDataPacket[]>('SELECT @@GLOBAL.gtid_binlog_pos AS pos');
  const pos = String(rows[0]!.pos);
  return { token: `my1:gtid=${pos}`, display: `gtid ${pos}` };
}
