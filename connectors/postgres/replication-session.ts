import type pg from 'pg';
import { LogicalReplicationService } from 'pg-logical-replication';
import { ConnectionError, LogtapError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import { type Lsn, formatLsn, parseLsn } from './lsn.js';
import { type PgEndpoint, endpointText } from './pg-endpoint.js';
import { mapPgError } from './pg-errors.js';
import { quoteIdent } from './pg-identifiers.js';
import { ArrivalQueue } from './arrival-queue.js';
import { RawPgoutputPlugin } from './raw-pgoutput-plugin.js';
import { type SourceSocket, pauseSocket, resumeSocket } from '../../src/source/socket-reads.js';
import type { RawPgoutputMessage } from './raw-pgoutput-plugin.js';
import type { MessageSink } from './stream-spool.js';

export interface SessionTiming {
  /** How often a standby status (the released LSN, asking for a reply) is sent, also while the handler is busy. */
  statusIntervalMs: number;
  /** No message from the server for this long while idle: the connection counts as lost. */
  livenessTimeoutMs: number;
  /** After handing a run of messages over, the socket rests this long before the next read (arrival-queue.ts). */
  readRestMs: number;
}

export const DEFAULT_TIMING: SessionTiming = { statusIntervalMs: 10_000, livenessTimeoutMs: 120_000, readRestMs: 2 };

export interface SessionOptions {
  clientConfig: pg.ClientConfig;
  endpoint: PgEndpoint;
  slotName: string;
  publicationName: string;
  /** START_REPLICATION position: the server resends from max(this, the slot's confirmed position). */
  startLsn: Lsn;
  /** The slot's confirmed position (or further, when released while no session ran). */
  releasedLsn: Lsn;
  /** The translator, or the spool of in-progress transactions in front of it (streaming on). */
  messages: MessageSink;
  /** pgoutput `streaming 'on'` (protocol 2): in-progress transactions arrive in blocks (stream-spool.ts). */
  streaming: boolean;
  timing: SessionTiming;
  log: Logger;
}

/** A parse failure must not throw inside the socket's data handler: it fails the session, and this inert message is queued instead. */
const UNPARSABLE = Object.freeze({ tag: 'origin', originLsn: null, originName: '' }) as RawPgoutputMessage;

/** Notes each XLogData message as it arrives (parse runs on arrival, in order with keepalives). */
class ArrivalNotingPlugin extends RawPgoutputPlugin {
  constructor(
    publicationName: string,
    streaming: boolean,
    private readonly onArrival: () => void,
    private readonly onUnparsable: (err: unknown) => void,
  ) {
    super({ publicationNames: [publicationName], messages: true, streaming });
  }

  override parseRaw(buffer: Buffer): RawPgoutputMessage {
    this.onArrival();
    try {
      return super.parseRaw(buffer);
    } catch (err) {
      this.onUnparsable(err);
      return UNPARSABLE;
    }
  }
}

/** The replication connection's socket: pg-logical-replication keeps it private (its own flow control pauses it the same way). */
function socketOf(service: LogicalReplicationService): SourceSocket | undefined {
  return (service as unknown as { _connection?: { stream?: SourceSocket } | null })._connection?.stream;
}

/**
 * One replication connection streaming one slot until aborted or failed (pg-logical-replication does not
 * reconnect: a lost connection fails the session, and the pipeline restarts `stream` from its checkpoint).
 *
 * Ordering and backpressure: the library emits XLogData and keepalives as they are parsed (its own flow
 * control, a promise chain per message, is off); both go into one arrival queue (arrival-queue.ts), which
 * hands a socket read's messages over in one run and pauses the socket while the handler is awaited. So a
 * heartbeat never overtakes a transaction still queued, and memory stays bounded.
 *
 * The server only learns what was released: standby status updates carry `releasedLsn` (answering
 * keepalives that ask for a reply, on release, and every statusIntervalMs, also while the handler is
 * busy and the socket paused), never the last received LSN.
 */
export class ReplicationSession {
  private readonly service: LogicalReplicationService;
  private released: Lsn;
  private readonly arrivals: ArrivalQueue;
  private started = false;
  private stopping = false;
  /** The first failure: a LogtapError, or the handler's own error as it threw it. */
  private failure: { error: unknown } | undefined;
  private lastHeardAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private end: () => void = () => {};

  constructor(private readonly options: SessionOptions) {
    this.released = options.releasedLsn;
    this.service = new LogicalReplicationService(options.clientConfig, {
      acknowledge: { auto: false, timeoutSeconds: 0 },
      flowControl: { enabled: false },
    });
    this.arrivals = new ArrivalQueue({
      sink: options.messages,
      pause: () => pauseSocket(socketOf(this.service)),
      resume: () => resumeSocket(socketOf(this.service)),
      // The handler's errors pass through as they are; the translator's own are LogtapErrors.
      fail: (err) => {
        this.failure ??= { error: err };
        this.stop();
      },
      idle: () => {
        this.lastHeardAt = Date.now();
      },
      restMs: options.timing.readRestMs,
    });
  }

  /** The changes below `lsn` are durable downstream: tell the server (only ever forwards). */
  release(lsn: Lsn): void {
    if (lsn <= this.released) return;
    this.released = lsn;
    this.sendStatus(false);
  }

  get releasedLsn(): Lsn {
    return this.released;
  }

  /** Streams until `signal` aborts (resolves) or something fails (rejects with a LogtapError or the handler's error). */
  async run(signal: AbortSignal): Promise<void> {
    // Failed before it ran (the catalog connection lost while preparing): nothing to start.
    this.throwIfFailed();
    if (signal.aborted) return;
    const { service, options } = this;
    const ended = new Promise<void>((resolve) => {
      this.end = resolve;
    });
    const onAbort = () => this.stop();
    signal.addEventListener('abort', onAbort, { once: true });

    const plugin = new ArrivalNotingPlugin(
      options.publicationName,
      options.streaming,
      () => {
        this.lastHeardAt = Date.now();
      },
      (err) => this.fail(new LogtapError('SOURCE', `cannot read a pgoutput message from ${endpointText(options.endpoint)}: ${(err as Error).message}`, { cause: err })),
    );
    service.on('data', (lsn: string, message: RawPgoutputMessage) => {
      if (!this.stopping) this.arrivals.message(message, lsn);
    });
    service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) => this.onKeepalive(lsn, shouldRespond));
    service.on('error', (err: unknown) => this.lost(err));
    service.on('start', () => this.onStart());

    service.subscribe(plugin, options.slotName, formatLsn(options.startLsn)).then(
      () => {
        if (!this.stopping) this.fail(new ConnectionError(`PostgreSQL at ${endpointText(options.endpoint)} ended the replication stream of slot ${quoteIdent(options.slotName)} (shutting down?)`));
      },
      (err: unknown) => this.lost(err),
    );

    try {
      await ended;
    } finally {
      signal.removeEventListener('abort', onAbort);
      clearInterval(this.timer);
      await stopService(service);
      // A handler call in flight finishes before the stream ends; nothing new starts (stopping is set).
      await this.arrivals.settled();
      service.removeAllListeners();
      // A late socket error of the ended connection must not become an unhandled 'error' event.
      service.on('error', () => {});
    }
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Ends the session with a failure (the first one wins); also for the catalog connection's loss. */
  fail(err: unknown): void {
    if (this.failure) return;
    this.failure = { error: err instanceof LogtapError ? err : mapPgError(err, this.options.endpoint, 'streaming') };
    this.stop();
  }

  private stop(): void {
    this.stopping = true;
    this.arrivals.stop();
    this.end();
  }

  /** A connection-level error: after our own stop it is the goodbye, not a failure. */
  private lost(err: unknown): void {
    if (this.stopping) return;
    this.fail(mapPgError(err, this.options.endpoint, this.started ? 'streaming' : 'starting replication'));
  }

  private onStart(): void {
    this.started = true;
    this.lastHeardAt = Date.now();
    this.options.log.debug({ slot: this.options.slotName, from: formatLsn(this.options.startLsn), released: formatLsn(this.released) }, 'replication started');
    this.sendStatus(false);
    this.timer = setInterval(() => this.tick(), this.options.timing.statusIntervalMs);
    this.timer.unref();
  }

  private tick(): void {
    if (this.stopping) return;
    const idle = this.arrivals.idle;
    const silentFor = Date.now() - this.lastHeardAt;
    if (idle && silentFor > this.options.timing.livenessTimeoutMs) {
      this.fail(new ConnectionError(`no message from PostgreSQL at ${endpointText(this.options.endpoint)} for ${Math.round(silentFor / 1000)} s: the connection is presumed lost`));
      return;
    }
    this.sendStatus(true);
  }

  private onKeepalive(lsnText: string, shouldRespond: boolean): void {
    this.lastHeardAt = Date.now();
    if (this.stopping) return;
    if (shouldRespond) this.sendStatus(false);
    let walEnd: Lsn;
    try {
      walEnd = parseLsn(lsnText);
    } catch (err) {
      this.fail(new LogtapError('SOURCE', `PostgreSQL sent a keepalive with a bad LSN: ${(err as Error).message}`));
      return;
    }
    this.arrivals.keepalive(walEnd);
  }

  /** A standby status update: written, flushed and applied up to the released LSN. */
  private sendStatus(ping: boolean): void {
    if (!this.started || this.stopping || this.released <= 0n) return;
    // pg-logical-replication reports lsn + 1 as the position; it is given released - 1 so the server
    // records exactly `released` (a commit may start right at a previous commit's end).
    this.service.acknowledge(formatLsn(this.released - 1n), ping).catch((err: unknown) => this.lost(err));
  }
}

async function stopService(service: LogicalReplicationService): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    service.stop().then(() => {}, () => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 5_000);
    }),
  ]);
  clearTimeout(timer);
}
