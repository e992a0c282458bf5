import { ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { SourcePosition } from '../model/change-event.js';
import type { SourceConnector, SourceHandler } from '../source/source-connector.js';
import type { PipelineMetrics } from '../pipeline/pipeline-metrics.js';
import type { PrepareTables } from '../pipeline/pipeline.js';
import { publishSnapshot } from './snapshot-driver.js';
import { type SnapshotMode, snapshotThisStart } from './snapshot-mode.js';

export interface SnapshotSettings {
  mode: SnapshotMode;
  parallelism: number;
  chunkRows: number;
}

/**
 * The pipeline's step before streaming for this start (Pipeline's `beforeStream`), or undefined when this
 * start only streams. The snapshot is opened inside the step, so a failure there is retried like a stream's.
 */
export function snapshotStep(
  settings: SnapshotSettings,
  connector: SourceConnector,
  from: SourcePosition | null,
  log: Logger,
  metrics?: Pick<PipelineMetrics, 'snapshotRows'>,
): ((handler: SourceHandler, signal: AbortSignal, prepareTables?: PrepareTables) => Promise<SourcePosition | null>) | undefined {
  const source = connector.snapshots;
  if (!source) {
    if (settings.mode === 'never') return undefined;
    throw new ConfigError(`the ${connector.kind} connector cannot snapshot tables: set snapshot.mode: never`);
  }
  if (!snapshotThisStart(settings.mode, from, (p) => source.isSnapshotPosition(p))) return undefined;
  return async (handler, signal, prepareTables) => {
    const snapshot = await source.open({ from, parallelism: settings.parallelism, chunkRows: settings.chunkRows, signal });
    try {
      return await publishSnapshot(snapshot, handler, { log: log.child({ component: 'snapshot' }), metrics, prepareTables }, signal);
    } finally {
      await snapshot.close();
    }
  };
}
