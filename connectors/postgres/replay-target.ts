import pg from 'pg';
import { ConfigError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import type { Row } from '../../src/model/change-event.js';
import type { Column, TableSchema, UnpublishedColumn } from '../../src/model/table-schema.js';
import { tableIdText } from '../../src/model/table-schema.js';
import type { ReplayStep, ReplayTarget, RowLogChange, SourceKind } from '../../src/replay/replay-target.js';
import { closeQuietly, pgClientConfig } from './pg-client.js';
import { type PgEndpoint, endpointText, pgEndpoint } from './pg-endpoint.js';
import { mapPgError } from './pg-errors.js';
import { quoteIdent, quoteLiteral, quoteTable } from './pg-identifiers.js';
import { TableNotFoundError, introspectTable } from './introspect-columns.js';
import { mapTable } from './column-mapping.js';
import { type PgColumnPlan, genericPgColumn, planPgColumn } from './replay-columns.js';
import { type PgTextEncoder, pgTextEncoder } from './replay-values.js';
import { collationClause, generatedClause, identityClause, schemaOfName, serialSequence } from './replay-definition.js';

/** A column's definition in CREATE TABLE / ADD COLUMN: a published column, a generated one in no record, or one added along the way. */
type ColumnDefinition = (column: Column, role: 'column' | 'unpublished' | 'added') => string;
import { pgColumnDefaults } from './replay-defaults.js';

/** The rebuilt table's columns as this target writes them: SQL type for casts and the value encoder. */
interface WritePlan {
  /** `alwaysIdentity`: GENERATED ALWAYS AS IDENTITY, written with OVERRIDING SYSTEM VALUE and never updated. */
  columns: Array<{ name: string; cast: string; encode: PgTextEncoder; alwaysIdentity: boolean }>;
  key: string[];
}

/**
 * Replay into PostgreSQL: tables keep their schema and name; rows are written in batches through
 * `unnest` of text arrays cast to the column types (one statement per batch for upserts and one for deletes).
 */
export async function openPgReplayTarget(url: string, log: Logger): Promise<ReplayTarget> {
  const endpoint = pgEndpoint(url);
  const client = new pg.Client(pgClientConfig(url, 'logtap-replay'));
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await closeQuietly(client);
    throw mapPgError(err, endpoint, 'connecting to the replay target');
  }
  // A replay is re-runnable: a batch lost in a server crash is written again by the next run, so commits
  // need not wait for the WAL flush.
  await client.query('SET synchronous_commit = off').catch(() => {});
  return new PgReplayTarget(client, endpoint, log);
}

class PgReplayTarget implements ReplayTarget {
  private readonly plans = new Map<string, WritePlan>();
  private readonly typeExists = new Map<string, boolean>();

  constructor(private readonly client: pg.Client, private readonly endpoint: PgEndpoint, private readonly log: Logger) {}

  async check(versions: readonly TableSchema[], source: SourceKind): Promise<void> {
    for (const version of versions) for (const column of version.columns) await this.columnPlan(version, column, source);
    const latest = versions.at(-1)!;
    const existing = await this.existing(latest);
    if (!existing) return;
    const where = `target table ${tableIdText(latest.id)} in ${endpointText(this.endpoint)}`;
    if (existing.key.join(',') !== latest.key.join(',')) {
      throw new ConfigError(`${where} has the key (${existing.key.join(', ')}), the topic has (${latest.key.join(', ')}): drop or rename the target table, or replay into another database`);
    }
    for (const column of latest.columns) {
      const there = existing.columns.find((c) => c.name === column.name);
      if (!there) continue;
      const plan = await this.columnPlan(latest, column, source);
      if (there.type.kind !== plan.kind) {
        throw new ConfigError(`${where} has column ${column.name} as ${there.sourceType}, the topic needs ${plan.sql}: drop or rename the target table, or replay into another database`);
      }
    }
  }

  async ensureTable(table: TableSchema, dropped: readonly string[], source: SourceKind): Promise<void> {
    const existing = await this.existing(table);
    await this.run(async () => {
      await this.client.query('BEGIN');
      if (!existing) await this.ensureSchema(quoteIdent(table.id.namespace));
      const plans = new Map<string, PgColumnPlan>();
      const unpublished: UnpublishedColumn[] = [];
      for (const column of table.unpublished ?? []) {
        // Replay never fails on a column that is in no record: one that cannot be rebuilt here is left out.
        const plan = await this.columnPlan(table, column, source).catch((err: unknown) => {
          if (err instanceof ConfigError) return undefined;
          throw err;
        });
        if (plan) unpublished.push(column);
      }
      // A stored generated column a PostgreSQL 18+ source publishes is rebuilt as generated too: its values are
      // computed here, never written (published-columns.ts). Where the target refuses its expression it becomes
      // an ordinary column, written from the records.
      const derived = source === 'postgres' ? table.columns.filter((c) => c.generated?.kind === 'stored') : [];
      const withUnpublished: TableSchema = {
        ...table,
        columns: table.columns.filter((c) => !derived.includes(c)),
        unpublished: [...unpublished, ...derived.map((c) => ({ ...c, generated: c.generated!, position: table.columns.indexOf(c) }))],
      };
      const missingCollations = new Set<string>();
      for (const column of [...table.columns, ...unpublished]) {
        if (collationClause(column, source) && !(await this.knownCollation(column.collation!))) missingCollations.add(column.name);
      }
      if (missingCollations.size > 0) this.log.warn({ table: tableIdText(table.id), columns: [...missingCollations] }, 'the target lacks these columns\' collations: they get the default collation');
      for (const column of [...table.columns, ...unpublished]) {
        const plan = await this.columnPlan(table, column, source);
        plans.set(column.name, plan);
        if (plan.enumType) await this.ensureEnum(plan.enumType.sql, plan.enumType.labels);
        if (plan.domain) await this.ensureDomain(plan.domain.definition.name, plan.domain.create);
      }
      const definition: ColumnDefinition = (c, role) => {
        const plan = plans.get(c.name)!;
        const typed = `${quoteIdent(c.name)} ${plan.sql}${missingCollations.has(c.name) ? '' : collationClause(c, source)}`;
        // Only a column that is in no record is rebuilt as generated (a published one is written).
        if (role === 'unpublished') return `${typed}${generatedClause(c, source)}`;
        const defaults = pgColumnDefaults(c, source, plan.sql, pgTextEncoder(c.type));
        // An added column: the rows written before it read its missing value (NOT NULL only with one), else nothing.
        if (role === 'added') return defaults.added === undefined ? typed : `${typed} DEFAULT ${defaults.added}${c.nullable ? '' : ' NOT NULL'}`;
        // An identity or serial column's values come from its sequence: it takes no DEFAULT of its own.
        const identity = identityClause(c, source, plan.sql);
        const byDefault = identity === '' && defaults.table !== undefined ? ` DEFAULT ${defaults.table}` : '';
        return `${typed}${identity}${byDefault}${c.nullable ? '' : ' NOT NULL'}`;
      };
      if (!existing) {
        for (const c of table.columns) {
          const sequence = serialSequence(c, source, plans.get(c.name)!.sql);
          if (sequence) await this.ensureSequence(sequence.name, sequence.type);
        }
        await this.createTable(withUnpublished, definition);
        for (const c of table.columns) {
          const sequence = serialSequence(c, source, plans.get(c.name)!.sql);
          if (sequence) await this.client.query(`ALTER SEQUENCE ${sequence.name} OWNED BY ${quoteTable(table.id)}.${quoteIdent(c.name)}`);
        }
        this.log.info({ table: tableIdText(table.id) }, 'created target table');
      } else {
        for (const c of table.columns) {
          if (derived.includes(c) || existing.columns.some((e) => e.name === c.name)) continue;
          await this.client.query(`ALTER TABLE ${quoteTable(table.id)} ADD COLUMN ${definition(c, 'added')}`);
          // The rows written before the column read its missing value (added with it); the table's own default after.
          const defaults = pgColumnDefaults(c, source, plans.get(c.name)!.sql, pgTextEncoder(c.type));
          if (defaults.table !== undefined && defaults.table !== defaults.added) {
            await this.client.query(`ALTER TABLE ${quoteTable(table.id)} ALTER COLUMN ${quoteIdent(c.name)} SET DEFAULT ${defaults.table}`);
          }
        }
        for (const c of [...unpublished, ...derived]) {
          if (!existing.columns.some((e) => e.name === c.name) && !(await this.columnExists(table, c.name))) await this.addGenerated(table, definition(c, 'unpublished'));
        }
        for (const name of dropped) {
          if (existing.columns.some((e) => e.name === name)) await this.client.query(`ALTER TABLE ${quoteTable(table.id)} DROP COLUMN ${quoteIdent(name)}`);
        }
        // A column whose type changed at the source (ALTER COLUMN … TYPE): the same change here, values cast (the
        // rows the source converted with its own USING come again through its resync). A cast the target refuses
        // leaves the column as it was, with a warning.
        if (source === 'postgres') {
          for (const c of table.columns) {
            const e = existing.columns.find((x) => x.name === c.name);
            const sql = plans.get(c.name)!.sql;
            if (!e || e.sourceType === sql || e.sourceType === c.sourceType) continue;
            await this.client.query('SAVEPOINT retype');
            try {
              await this.oneStatement(`ALTER TABLE ${quoteTable(table.id)} ALTER COLUMN ${quoteIdent(c.name)} TYPE ${sql} USING ${quoteIdent(c.name)}::${sql}`);
              await this.client.query('RELEASE SAVEPOINT retype');
            } catch (err) {
              await this.client.query('ROLLBACK TO SAVEPOINT retype');
              this.log.warn({ table: tableIdText(table.id), column: c.name, from: e.sourceType, to: sql, error: (err as Error).message }, 'the target refused the column\'s new type: it keeps the old one');
            }
          }
        }
      }
      for (const c of derived) {
        if (await this.columnExists(table, c.name)) continue;
        await this.client.query(`ALTER TABLE ${quoteTable(table.id)} ADD COLUMN ${definition(c, 'added')}`);
        this.log.warn({ table: tableIdText(table.id), column: c.name }, 'the generated column is an ordinary column here, written from the records');
      }
      await this.client.query('COMMIT');
    }, `creating ${tableIdText(table.id)}`);
    const info = await this.run(() => introspectTable(this.client, table.id), 'reading the target table');
    const always = new Set(info.columns.filter((c) => c.identity === 'always').map((c) => c.name));
    // A column the target generates takes no value from the records (PostgreSQL refuses one).
    const generatedHere = new Set(info.columns.filter((c) => c.generated).map((c) => c.name));
    this.plans.set(tableIdText(table.id), {
      columns: table.columns.filter((c) => !generatedHere.has(c.name)).map((c) => ({ name: c.name, cast: info.columns.find((i) => i.name === c.name)!.sourceType, encode: pgTextEncoder(c.type), alwaysIdentity: always.has(c.name) })),
      key: table.key,
    });
  }

  /**
   * CREATE TABLE with the columns in source order, the unpublished generated ones at their place. When the
   * target refuses a generation expression (a function it lacks), the table is created without those columns:
   * their values were never in the topic.
   */
  private async createTable(table: TableSchema, definition: ColumnDefinition): Promise<void> {
    const create = (withGenerated: boolean): string => {
      const defs = table.columns.map((c) => definition(c, 'column'));
      if (withGenerated) for (const u of [...(table.unpublished ?? [])].sort((a, b) => a.position - b.position)) defs.splice(Math.min(u.position, defs.length), 0, definition(u, 'unpublished'));
      // A keyless table is rebuilt from its change log (no primary key to make).
      if (table.key.length > 0) defs.push(`PRIMARY KEY (${table.key.map(quoteIdent).join(', ')})`);
      return `CREATE TABLE ${quoteTable(table.id)} (${defs.join(', ')})`;
    };
    if (!table.unpublished?.length) {
      await this.oneStatement(create(false));
      return;
    }
    await this.client.query('SAVEPOINT generated_columns');
    try {
      await this.oneStatement(create(true));
    } catch (err) {
      await this.client.query('ROLLBACK TO SAVEPOINT generated_columns');
      this.log.warn({ table: tableIdText(table.id), columns: table.unpublished.map((c) => c.name), error: (err as Error).message },
        'the target refused the generated columns\' expressions: the table is created without them');
      await this.oneStatement(create(false));
    }
  }

  private async addGenerated(table: TableSchema, definition: string): Promise<void> {
    await this.client.query('SAVEPOINT generated_column');
    try {
      await this.oneStatement(`ALTER TABLE ${quoteTable(table.id)} ADD COLUMN ${definition}`);
    } catch (err) {
      await this.client.query('ROLLBACK TO SAVEPOINT generated_column');
      this.log.warn({ table: tableIdText(table.id), error: (err as Error).message }, 'the target refused a generated column\'s expression: the column is left out');
    }
  }

  /** Whether the target table has a column (generated columns are not in `existing`, which lists the published ones). */
  private async columnExists(table: TableSchema, name: string): Promise<boolean> {
    const { rows } = await this.client.query('SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = $1::regclass AND attname = $2 AND NOT attisdropped', [quoteTable(table.id), name]);
    return rows.length > 0;
  }

  /** After the rows: each identity or serial sequence continues after the largest value, so the next insert in the replica does not collide. */
  async finishTable(table: TableSchema): Promise<void> {
    const info = await this.run(() => introspectTable(this.client, table.id), 'reading the target table');
    // A column the source has NOT NULL was added nullable when older rows had no value for it (a volatile default);
    // once every row has one (its resync came through), it is NOT NULL here too.
    for (const column of table.columns) {
      const target = info.columns.find((c) => c.name === column.name);
      if (column.nullable || !target || target.notNull) continue;
      const { rows } = await this.run(() => this.client.query(`SELECT EXISTS (SELECT 1 FROM ${quoteTable(table.id)} WHERE ${quoteIdent(column.name)} IS NULL) AS nulls`), 'reading the target table');
      if ((rows[0] as { nulls: boolean }).nulls) {
        this.log.warn({ table: tableIdText(table.id), column: column.name }, 'the column is NOT NULL at the source but some replayed rows have no value for it: it stays nullable here');
        continue;
      }
      await this.run(() => this.client.query(`ALTER TABLE ${quoteTable(table.id)} ALTER COLUMN ${quoteIdent(column.name)} SET NOT NULL`), `setting ${tableIdText(table.id)}.${column.name} NOT NULL`);
    }
    for (const column of info.columns) {
      if (!column.identity && !column.serialSequence) continue;
      await this.run(() => this.client.query(
        `SELECT pg_catalog.setval(q.seqrelid, m.max) FROM pg_catalog.pg_sequence q, (SELECT max(${quoteIdent(column.name)})::int8 AS max FROM ${quoteTable(table.id)}) m
          WHERE q.seqrelid = pg_catalog.pg_get_serial_sequence($1, $2)::regclass AND m.max BETWEEN q.seqmin AND q.seqmax`,
        [quoteTable(table.id), column.name],
      ), `setting the sequence of ${tableIdText(table.id)}.${column.name}`);
    }
  }

  async apply(table: TableSchema, steps: readonly ReplayStep[]): Promise<void> {
    const plan = this.plans.get(tableIdText(table.id));
    if (!plan) throw new Error(`ensureTable was not called for ${tableIdText(table.id)}`);
    const target = quoteTable(table.id);
    let unmatched = 0;
    await this.run(async () => {
      await this.client.query('BEGIN');
      try {
        for (const step of steps) {
          if (step.kind === 'truncate') {
            await this.client.query(`TRUNCATE ${target}`);
            continue;
          }
          if (step.kind === 'row-log') {
            unmatched += await this.applyRowLog(target, plan, step.changes);
            continue;
          }
          if (step.deletes.length > 0) {
            const keyColumns = plan.key.map((k) => plan.columns.find((c) => c.name === k)!);
            const { select, params } = unnestRows(keyColumns, step.deletes);
            await this.client.query(`DELETE FROM ${target} WHERE (${keyColumns.map((c) => quoteIdent(c.name)).join(', ')}) IN (${select})`, params);
          }
          if (step.upserts.length > 0) {
            const { select, params } = unnestRows(plan.columns, step.upserts);
            const names = plan.columns.map((c) => quoteIdent(c.name));
            // An ALWAYS identity column can only be updated to DEFAULT (so at the source too): never in the update.
            const updates = plan.columns.filter((c) => !plan.key.includes(c.name) && !c.alwaysIdentity).map((c) => `${quoteIdent(c.name)} = EXCLUDED.${quoteIdent(c.name)}`);
            const onConflict = updates.length > 0 ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING';
            const overriding = plan.columns.some((c) => c.alwaysIdentity) ? ' OVERRIDING SYSTEM VALUE' : '';
            await this.client.query(`INSERT INTO ${target} (${names.join(', ')})${overriding} ${select} ON CONFLICT (${plan.key.map(quoteIdent).join(', ')}) ${onConflict}`, params);
          }
        }
        await this.client.query('COMMIT');
      } catch (err) {
        await this.client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    }, `writing ${tableIdText(table.id)}`);
    if (unmatched > 0) this.log.warn({ table: tableIdText(table.id), rows: unmatched }, 'replay: deleted rows of a table without a key were not in the target (it differs from the source)');
  }

  /**
   * A keyless table's changes in order: runs of inserts as one INSERT each; a delete removes one row equal in
   * every column (compared as the server's text of the value, NULL-safe: any type, even one without an
   * equality operator such as json), picked by ctid since duplicates are legal. Returns the deletes that
   * found no row.
   */
  private async applyRowLog(target: string, plan: WritePlan, changes: readonly RowLogChange[]): Promise<number> {
    const equal = plan.columns.map((c, i) => `${quoteIdent(c.name)}::text IS NOT DISTINCT FROM ($${i + 1}::text::${c.cast})::text`);
    const deleteOne = `DELETE FROM ${target} WHERE ctid = (SELECT ctid FROM ${target} WHERE ${equal.join(' AND ') || 'true'} LIMIT 1)`;
    let unmatched = 0;
    let inserts: Row[] = [];
    const insert = async () => {
      if (inserts.length === 0) return;
      const { select, params } = unnestRows(plan.columns, inserts);
      await this.client.query(`INSERT INTO ${target} (${plan.columns.map((c) => quoteIdent(c.name)).join(', ')}) ${select}`, params);
      inserts = [];
    };
    for (const change of changes) {
      if (change.op === 'insert') {
        inserts.push(change.row);
        continue;
      }
      await insert();
      const values = plan.columns.map((c) => {
        const v = change.row[c.name];
        return v === null || v === undefined ? null : c.encode(v);
      });
      if ((await this.client.query(deleteOne, values)).rowCount === 0) unmatched++;
    }
    await insert();
    return unmatched;
  }

  async close(): Promise<void> {
    await closeQuietly(this.client);
  }

  private async existing(table: TableSchema): Promise<TableSchema | undefined> {
    try {
      return mapTable(await introspectTable(this.client, table.id)).schema;
    } catch (err) {
      if (err instanceof TableNotFoundError) return undefined;
      throw mapPgError(err, this.endpoint, 'reading the target table');
    }
  }

  private async columnPlan(table: TableSchema, column: Column, source: SourceKind): Promise<PgColumnPlan> {
    let plan = planPgColumn(column, source);
    // A source type that is not built in here (an extension's type, a domain over one) is rebuilt from its column type.
    if (!('unsupported' in plan) && plan.domain && !(await this.knownType(plan.domain.definition.base))) plan = genericPgColumn(column.type);
    else if (!('unsupported' in plan) && !plan.enumType && !plan.domain && source === 'postgres' && !(await this.knownType(plan.sql))) plan = genericPgColumn(column.type);
    if ('unsupported' in plan) {
      throw new ConfigError(`cannot replay ${tableIdText(table.id)}.${column.name} (${column.sourceType}) into PostgreSQL: ${plan.unsupported}; leave the table out (--table) or replay into another database`);
    }
    return plan;
  }

  private async knownType(sql: string): Promise<boolean> {
    let known = this.typeExists.get(sql);
    if (known === undefined) {
      const { rows } = await this.run(() => this.client.query('SELECT to_regtype($1) IS NOT NULL AS known', [sql]), 'looking up a type');
      known = (rows[0] as { known: boolean }).known;
      this.typeExists.set(sql, known);
    }
    return known;
  }

  private async ensureEnum(sql: string, labels: string[]): Promise<void> {
    if (await this.knownType(sql)) {
      // Labels added at the source since: add them here too (existing ones stay).
      for (const label of labels) await this.client.query(`ALTER TYPE ${sql} ADD VALUE IF NOT EXISTS ${quoteLiteral(label)}`);
      return;
    }
    await this.ensureSchemaOf(sql);
    await this.client.query(`CREATE TYPE ${sql} AS ENUM (${labels.map(quoteLiteral).join(', ')})`);
    this.typeExists.set(sql, true);
  }

  /** Creates a domain that is not there yet (an existing one is kept as it is). */
  private async ensureDomain(name: string, create: string): Promise<void> {
    if (await this.knownType(name)) return;
    await this.ensureSchemaOf(name);
    await this.oneStatement(create);
    this.typeExists.set(name, true);
  }

  private async ensureSequence(name: string, type: string): Promise<void> {
    await this.ensureSchemaOf(name);
    await this.client.query(`CREATE SEQUENCE IF NOT EXISTS ${name} AS ${type}`);
  }

  /** The schema of a qualified type or sequence name, which need not be the table's. */
  private async ensureSchemaOf(name: string): Promise<void> {
    const schema = schemaOfName(name);
    if (schema) await this.ensureSchema(schema);
  }

  /** Creates a schema (named as SQL text) that is missing; an existing one needs no CREATE privilege on the database. */
  private async ensureSchema(sql: string): Promise<void> {
    const { rows } = await this.client.query('SELECT to_regnamespace($1) IS NOT NULL AS known', [sql]);
    if (!(rows[0] as { known: boolean }).known) await this.client.query(`CREATE SCHEMA IF NOT EXISTS ${sql}`);
  }

  /** Whether the target has a collation (named as SQL text): one it lacks is left off the column, with a warning. */
  private async knownCollation(sql: string): Promise<boolean> {
    const { rows } = await this.client.query('SELECT to_regcollation($1) IS NOT NULL AS known', [sql]);
    return (rows[0] as { known: boolean }).known;
  }

  /** A statement holding text of the topic's schema (an expression): the extended protocol runs exactly one statement. */
  private async oneStatement(sql: string): Promise<void> {
    await this.client.query({ text: sql, queryMode: 'extended' } as pg.QueryConfig);
  }

  private async run<T>(work: () => Promise<T>, doing: string): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      await this.client.query('ROLLBACK').catch(() => {});
      throw mapPgError(err, this.endpoint, doing);
    }
  }
}

/** Separators of the packed column text: control characters no value of the batch may contain (else an array is sent). */
const FIELD = '\u001f';
const NULL_MARK = '\u001e';
const NEEDS_ARRAY = /[\u001e\u001f]/;

/**
 * `SELECT u.c1::T1, … FROM unnest(…) AS u(c1, …)` and its parameters, one per column: the column's values
 * joined into one text that `string_to_array` splits (much cheaper for the driver than a text[] parameter),
 * or a text[] when a value holds a separator (or the batch has one row, where '' would read as no element).
 */
function unnestRows(columns: WritePlan['columns'], rows: readonly Row[]): { select: string; params: Array<string | Array<string | null>> } {
  const params: Array<string | Array<string | null>> = [];
  const sources: string[] = [];
  columns.forEach((c, i) => {
    const texts = rows.map((row) => {
      const v = row[c.name];
      return v === null || v === undefined ? null : c.encode(v);
    });
    if (rows.length > 1 && !texts.some((t) => t !== null && NEEDS_ARRAY.test(t))) {
      params.push(texts.map((t) => t ?? NULL_MARK).join(FIELD));
      sources.push(`string_to_array($${i + 1}::text, E'\\x1f', E'\\x1e')`);
    } else {
      params.push(texts);
      sources.push(`$${i + 1}::text[]`);
    }
  });
  const aliases = columns.map((_, i) => `c${i + 1}`);
  return {
    select: `SELECT ${columns.map((c, i) => `u.${aliases[i]}::${c.cast}`).join(', ')} FROM unnest(${sources.join(', ')}) AS u(${aliases.join(', ')})`,
    params,
  };
}
