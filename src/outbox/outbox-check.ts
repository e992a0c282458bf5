import type { CheckFinding, SourceConnector } from '../source/source-connector.js';
import type { OutboxTableConfig } from './outbox-config.js';
import { parseTableId } from '../model/table-schema.js';

/** logtap check (and the daemon's preflight): deleteAfterCapture needs DELETE on the outbox table. */
export async function outboxFindings(tables: readonly OutboxTableConfig[], connector: SourceConnector): Promise<CheckFinding[]> {
  const findings: CheckFinding[] = [];
  for (const t of tables.filter((x) => x.deleteAfterCapture)) {
    const id = parseTableId(t.table)!;
    if (!connector.rowDeleter) {
      findings.push({ level: 'error', id: `outbox_delete:${t.table}`, message: `outbox table ${t.table} has deleteAfterCapture, which this connector cannot do`, fix: 'set deleteAfterCapture: false and delete published rows yourself' });
      continue;
    }
    let may: boolean;
    try {
      may = await connector.rowDeleter.mayDelete(id);
    } catch (err) {
      findings.push({ level: 'warning', id: `outbox_delete_privilege:${t.table}`, message: `cannot tell whether the connector's user may delete from outbox table ${t.table}: ${(err as Error).message}`, fix: `GRANT DELETE ON ${t.table} TO the connector's user (deleteAfterCapture)` });
      continue;
    }
    if (!may) findings.push({ level: 'error', id: `outbox_delete_privilege:${t.table}`, message: `the connector's user may not delete from outbox table ${t.table}, which deleteAfterCapture needs`, fix: `GRANT DELETE ON ${t.table} TO the connector's user, or set deleteAfterCapture: false` });
  }
  return findings;
}
