import { tableIdText } from '../../src/model/table-schema.js';
import type { CheckFinding } from '../../src/source/source-connector.js';
import { unfollowableReason } from './foreign-key-cascades.js';
import { describeForeignKey, loadCascadingForeignKeys } from './foreign-keys.js';
import { introspectTable, type MysqlQueryRunner } from './introspect-columns.js';
import { TEXT_DATA_TYPES, type MysqlTableInfo } from './mysql-column-info.js';
import { TableNotFoundError } from './mysql-errors.js';
import type { TableSelection } from './table-selection.js';

/**
 * One finding per cascading foreign key of a captured child table: InnoDB writes none of a cascade's row changes
 * to the binlog. A warning says how logtap derives them; an error names why it cannot for this one.
 */
export async function cascadeFindings(runner: MysqlQueryRunner, selection: TableSelection, readsBackRows: boolean): Promise<CheckFinding[]> {
  const findings: CheckFinding[] = [];
  const tables = new Map<string, MysqlTableInfo | undefined>();
  for (const fk of await loadCascadingForeignKeys(runner, selection)) {
    if (!selection.captures(fk.child.namespace, fk.child.name)) continue;
    const childName = tableIdText(fk.child);
    if (!tables.has(childName)) {
      try {
        tables.set(childName, await introspectTable(runner, fk.child.namespace, fk.child.name));
      } catch (err) {
        if (!(err instanceof TableNotFoundError)) throw err;
        tables.set(childName, undefined);
      }
    }
    const child = tables.get(childName);
    const described = describeForeignKey(fk);
    const reason = unfollowableReason(fk, selection, child?.primaryKey ?? [])
      ?? (readsBackRows ? undefined : 'the configured envelope (debezium or key-only) carries no rows for logtap to read the child rows back from');
    if (reason) {
      findings.push({
        // A warning, not a refusal: streaming such a schema is the user's call, but never a silent one (the daemon logs it too).
        level: 'warning', id: `cascade_not_followed:${childName}:${fk.name}`,
        message: `foreign key ${described}: InnoDB does not write cascade changes to the binlog, and logtap cannot derive them exactly because ${reason}: the child topic WILL keep deleted rows and old values after parent changes (replay --verify reports the difference)`,
        fix: reason.includes('not captured') ? `capture ${tableIdText(fk.parent)} too (source.tables), or drop the cascade rule`
          : reason.includes('envelope') ? 'use envelope: entity (the default), or drop the cascade rule'
            : `ALTER TABLE ${childName} ADD PRIMARY KEY (…), or drop the cascade rule`,
      });
      continue;
    }
    const inexactText = (child?.columns ?? []).filter((c) => fk.childColumns.includes(c.name) && TEXT_DATA_TYPES.has(c.dataType) && c.collation !== undefined && !c.collation.endsWith('_bin'));
    const textNote = inexactText.length === 0 ? '' : `; its text column(s) ${inexactText.map((c) => `${c.name} (${c.collation})`).join(', ')} are matched by exact value, so a child value that equals the parent's only under the collation (letter case, accents, trailing spaces) is not found`;
    findings.push({
      level: 'warning', id: `cascade:${childName}:${fk.name}`,
      message: `foreign key ${described}: InnoDB does not write cascade changes to the binlog; logtap derives them from each parent change and the child rows it reads back from the child topic, and publishes them in the parent's transaction${textNote}`,
      fix: 'nothing to do (docs/mysql-connector.md, "Foreign-key cascades")',
    });
  }
  return findings;
}
