import { LogtapError } from '../../src/errors.js';
import type { Row } from '../../src/model/change-event.js';
import { tableIdText } from '../../src/model/table-schema.js';
import { keyText } from '../../src/backfill/key-text.js';
import type { CascadeIndex, RowChange } from './cascade-index.js';
import { actsOnDelete, actsOnUpdate, type CascadingForeignKey } from './foreign-keys.js';

/** InnoDB fails a statement whose cascade goes deeper than this, so no deeper cascade can reach the binlog. */
export const MAX_CASCADE_DEPTH = 15;

/** A child row change InnoDB made as part of a parent's change, without writing it to the binlog. */
export interface DerivedChange {
  table: RowChange['table'];
  op: 'u' | 'd';
  before: Row;
  /** For `u`: the row after the cascade. */
  after?: Row;
  /** The foreign key that made it, for logs. */
  via: CascadingForeignKey;
}

/**
 * Follows a change the binlog delivered and returns what InnoDB's foreign-key cascades did because of it, in the
 * order a depth-first cascade visits them (children in key order): for a parent UPDATE that changes referenced
 * columns, `ON UPDATE CASCADE` children get the new values and `ON UPDATE SET NULL` children NULLs; for a parent
 * DELETE, `ON DELETE CASCADE` children are deleted and `ON DELETE SET NULL` children get NULLs; each derived
 * change cascades in turn. The index follows the change and every derived one.
 *
 * `foreignKeyChecks`: false when the statement ran with FOREIGN_KEY_CHECKS=0 (the binlog row event says so), in
 * which case InnoDB cascades nothing.
 */
export function planCascades(change: RowChange, foreignKeys: readonly CascadingForeignKey[], index: CascadeIndex, foreignKeyChecks = true): DerivedChange[] {
  index.apply(change);
  const derived: DerivedChange[] = [];
  if (foreignKeyChecks) follow(change, foreignKeys, index, derived, 1);
  return derived;
}

function follow(change: RowChange, foreignKeys: readonly CascadingForeignKey[], index: CascadeIndex, derived: DerivedChange[], depth: number): void {
  if (change.op !== 'u' && change.op !== 'd') return;
  const before = change.before;
  if (!before) return;
  const parent = tableIdText(change.table);
  for (const fk of foreignKeys) {
    if (tableIdText(fk.parent) !== parent) continue;
    if (change.op === 'u' && !actsOnUpdate(fk)) continue;
    if (change.op === 'd' && !actsOnDelete(fk)) continue;
    const oldValues = fk.parentColumns.map((c) => before[c]);
    let newValues: unknown[] | undefined;
    if (change.op === 'u') {
      const after = change.after;
      if (!after) continue;
      newValues = fk.parentColumns.map((c) => after[c]);
      // Only a change of the referenced columns reaches the children.
      if (valuesText(newValues) === valuesText(oldValues)) continue;
    }
    const children = index.children(fk, oldValues);
    if (children.length === 0) continue;
    if (depth > MAX_CASCADE_DEPTH) {
      throw new LogtapError('MYSQL_CASCADE_DEPTH', `foreign-key cascade from ${parent} deeper than InnoDB's limit of ${MAX_CASCADE_DEPTH} (via ${fk.name}): the derived child changes are not what the server did`);
    }
    const rule = change.op === 'u' ? fk.onUpdate : fk.onDelete;
    for (const child of children) {
      let next: RowChange & DerivedChange;
      if (change.op === 'd' && rule === 'CASCADE') {
        next = { table: fk.child, op: 'd', before: child, via: fk };
      } else {
        const after: Row = { ...child };
        fk.childColumns.forEach((c, i) => { after[c] = rule === 'CASCADE' ? newValues![i] : null; });
        next = { table: fk.child, op: 'u', before: child, after, via: fk };
      }
      index.apply(next);
      derived.push(next);
      follow(next, foreignKeys, index, derived, depth + 1);
    }
  }
}

const valuesText = (values: readonly unknown[]): string => keyText({ values }, ['values']);
