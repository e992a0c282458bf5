import pg from 'pg';
import { ConfigError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import type { Row } from '../../src/model/change-event.js';
import type { Column, TableSchema } from '../../src/model/table-schema.js';
import { tableIdText } from '../../src/model/table-schema.js';
import type { ReplayStep, ReplayTarget, SourceKind } from '../../src/replay/replay-target.js';
import { closeQuietly, pgClientConfig } from './pg-client.js';
import { type PgEndpoint, endpointText, pgEndpoint } from './pg-endpoint.js';
import { mapPgError } from './pg-errors.js';
import { quoteIdent, quoteLiteral, quoteTable } from './pg-identifiers.js';
import { TableNotFoundError, introspectTable } from './introspect-columns.js';
import { mapTable } from './column-mapping.js';
import { type PgColumnPlan, genericPgColumn, planPgColumn } from './replay-columns.js';
import { type PgTextEncoder, pgTextEncoder } from './replay-values.js';
import { pgColumnDefaults } from './replay-defaults.js';

/** The rebuilt table's columns as this target writes them: SQL type for casts and the value encoder. */
interface WritePlan {
  columns: Array<{ name: string; cast: string; encode: PgTextEncoder }>;
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
      for (const column of table.columns) {
        const plan = await this.columnPlan(table, column, source);
        if (plan.enumType) await this.ensureEnum(plan.enumType.sql, plan.enumType.labels);
      }
      if (!existing) {
        const defs = await Promise.all(table.columns.map(async (c) => {
          const { sql } = await this.columnPlan(table, c, source);
          const { table: byDefault } = pgColumnDefaults(c, source, sql, pgTextEncoder(c.type));
          return `${quoteIdent(c.name)} ${sql}${byDefault === undefined ? '' : ` DEFAULT ${byDefault}`}${c.nullable ? '' : ' NOT NULL'}`;
        }));
        await this.client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(table.id.namespace)}`);
        await this.client.query(`CREATE TABLE ${quoteTable(table.id)} (${defs.join(', ')}, PRIMARY KEY (${table.key.map(quoteIdent).join(', ')}))`);
        this.log.info({ table: tableIdText(table.id) }, 'created target table');
      } else {
        for (const c of table.columns) {
          if (existing.columns.some((e) => e.name === c.name)) continue;
          // The rows written before the column read its missing value as at the source; without one they have no
          // value, so the column is added nullable.
          const { sql } = await this.columnPlan(table, c, source);
          const defaults = pgColumnDefaults(c, source, sql, pgTextEncoder(c.type));
          const added = defaults.added === undefined ? '' : ` DEFAULT ${defaults.added}${c.nullable ? '' : ' NOT NULL'}`;
          await this.client.query(`ALTER TABLE ${quoteTable(table.id)} ADD COLUMN ${quoteIdent(c.name)} ${sql}${added}`);
          if (defaults.table !== undefined && defaults.table !== defaults.added) {
            await this.client.query(`ALTER TABLE ${quoteTable(table.id)} ALTER COLUMN ${quoteIdent(c.name)} SET DEFAULT ${defaults.table}`);
          }
        }
        for (const name of dropped) {
          if (existing.columns.some((e) => e.name === name)) await this.client.query(`ALTER TABLE ${quoteTable(table.id)} DROP COLUMN ${quoteIdent(name)}`);
        }
      }
      await this.client.query('COMMIT');
    }, `creating ${tableIdText(table.id)}`);
    const info = await this.run(() => introspectTable(this.client, table.id), 'reading the target table');
    this.plans.set(tableIdText(table.id), {
      columns: table.columns.map((c) => ({ name: c.name, cast: info.columns.find((i) => i.name === c.name)!.sourceType, encode: pgTextEncoder(c.type) })),
      key: table.key,
    });
  }

  async apply(table: TableSchema, steps: readonly ReplayStep[]): Promise<void> {
    const plan = this.plans.get(tableIdText(table.id));
    if (!plan) throw new Error(`ensureTable was not called for ${tableIdText(table.id)}`);
    const target = quoteTable(table.id);
    await this.run(async () => {
      await this.client.query('BEGIN');
      try {
        for (const step of steps) {
          if (step.kind === 'truncate') {
            await this.client.query(`TRUNCATE ${target}`);
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
            const updates = plan.columns.filter((c) => !plan.key.includes(c.name)).map((c) => `${quoteIdent(c.name)} = EXCLUDED.${quoteIdent(c.name)}`);
            const onConflict = updates.length > 0 ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING';
            await this.client.query(`INSERT INTO ${target} (${names.join(', ')}) ${select} ON CONFLICT (${plan.key.map(quoteIdent).join(', ')}) ${onConflict}`, params);
          }
        }
        await this.client.query('COMMIT');
      } catch (err) {
        await this.client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    }, `writing ${tableIdText(table.id)}`);
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
    // A source type that is not built in here (a domain, an extension's type) is rebuilt from its column type.
    if (!('unsupported' in plan) && !plan.enumType && source === 'postgres' && !(await this.knownType(plan.sql))) plan = genericPgColumn(column.type);
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
    await this.client.query(`CREATE TYPE ${sql} AS ENUM (${labels.map(quoteLiteral).join(', ')})`);
    this.typeExists.set(sql, true);
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
