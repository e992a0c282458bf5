import { randomUUID } from 'node:crypto';
import type { TableId } from '../model/table-schema.js';
import type { BackfillSource } from './backfill-source.js';
import { SIGNAL, executeSnapshotData } from './signal-types.js';

/**
 * Asks the connector named `connector` to backfill `tables` (`logtap snapshot`, the console's button): every table
 * is checked first, so a bad request writes no signal; then one execute-snapshot signal row. Returns the request id
 * and the tables' estimated rows, or the first table's problem.
 */
export async function requestBackfill(
  backfills: BackfillSource,
  tables: readonly TableId[],
  connector: string,
): Promise<{ request: string; estimatedRows: number } | { table: TableId; problem: string }> {
  const session = await backfills.open();
  try {
    let estimatedRows = 0;
    for (const t of tables) {
      const table = await session.table(t);
      if ('problem' in table) return { table: t, problem: table.problem };
      estimatedRows += table.estimatedRows ?? 0;
    }
    const request = randomUUID();
    await session.writeSignal({ id: request, type: SIGNAL.executeSnapshot, data: executeSnapshotData(tables, connector) });
    return { request, estimatedRows };
  } finally {
    await session.close();
  }
}
