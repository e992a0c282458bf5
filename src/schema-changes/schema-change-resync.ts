import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import { type TableId, tableIdText } from '../model/table-schema.js';
import type { HandlerInterceptor } from '../pipeline/pipeline.js';
import type { PipelineMetrics } from '../pipeline/pipeline-metrics.js';
import type { SourceHandler } from '../source/source-connector.js';
import type { SchemaChange } from './schema-change.js';

/** Config `schemaChanges.resync`. */
export type ResyncMode = 'auto' | 'warn' | 'off';

/** What a resync needs of the online backfill (src/backfill/online-backfill.ts). */
export interface ResyncBackfill extends HandlerInterceptor {
  requestAgain(table: TableId, request: string): void;
}

export interface SchemaChangeResyncOptions {
  mode: ResyncMode;
  /** The online backfill; absent: the source has none (a MySQL URL without a database), a resync is only reported. */
  backfill: ResyncBackfill | undefined;
  log: Logger;
  metrics?: Pick<PipelineMetrics, 'schemaChangeResync'> | undefined;
  /** Told of each table queued for a resync, before any change in its new shape (the schema catalog lets its next version in). */
  onResync?: (table: TableId) => void;
}

/**
 * What happens when a connector reports a DDL that changed existing rows without row events
 * (docs/schema-changes.md): `auto` queues the table for a new pass of the online backfill, which
 * publishes its current rows at their point in the stream, so the compacted topic converges to the table;
 * `warn` logs and counts it; `off` does nothing. Installed between the source and the online backfill.
 */
export class SchemaChangeResync implements HandlerInterceptor {
  constructor(private readonly options: SchemaChangeResyncOptions) {}

  checkpointState(): string | null {
    return this.options.backfill?.checkpointState() ?? null;
  }

  wrap(downstream: SourceHandler, phase: 'snapshot' | 'stream'): SourceHandler {
    const inner = this.options.backfill ? this.options.backfill.wrap(downstream, phase) : downstream;
    return {
      onChange: (event) => inner.onChange(event),
      onCommit: (position, info) => inner.onCommit(position, info),
      onHeartbeat: (position, info) => inner.onHeartbeat(position, info),
      ...(inner.onMessage ? { onMessage: (m) => inner.onMessage!(m) } : {}),
      ...(inner.onWatermark ? { onWatermark: (m) => inner.onWatermark!(m) } : {}),
      onSchemaChange: async (change) => {
        // Queued: the backfill starts it, and the pipeline checkpoints the queue at once (a crash keeps it).
        if (this.handle(change)) await inner.onSchemaChange?.(change);
      },
    };
  }

  /** Logs, counts and (auto) queues the resync; true when a resync was queued. */
  private handle(change: SchemaChange): boolean {
    const { mode, backfill, log, metrics } = this.options;
    const table = tableIdText(change.table);
    const details = { table, reason: change.reason, columns: change.columns, ...(change.statement !== undefined ? { statement: change.statement } : {}), resync: mode };
    if (!change.rewritesRows) {
      log.debug({ table, columns: change.columns }, 'schema change: existing rows unchanged, no resync');
      return false;
    }
    if (mode === 'off') return false;
    const reason = change.reason ?? 'unknown';
    if (mode === 'warn') {
      log.warn(details, 'schema change rewrote existing rows without row events: the topic keeps their old values until they change (schemaChanges.resync: warn)');
      metrics?.schemaChangeResync?.(table, reason, 'warn');
      return false;
    }
    if (!backfill) {
      log.error(details, 'schema change rewrote existing rows without row events, and this source has no online backfill to publish them again (a MySQL URL without a database: set signal.table)');
      metrics?.schemaChangeResync?.(table, reason, 'unavailable');
      return false;
    }
    const request = `resync-${randomUUID()}`;
    log.info({ ...details, request }, 'schema change rewrote existing rows without row events: publishing the table\'s current rows again (online backfill)');
    metrics?.schemaChangeResync?.(table, reason, 'resync');
    this.options.onResync?.(change.table);
    backfill.requestAgain(change.table, request);
    return true;
  }
}
