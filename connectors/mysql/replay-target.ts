import { ConfigError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import type { Row } from '../../src/model/change-event.js';
import type { Column, TableSchema } from '../../src/model/table-schema.js';
import type { ColumnType } from '../../src/model/column-type.js';
import { tableIdText } from '../../src/model/table-schema.js';
import type { ReplayStep, ReplayTarget, SourceKind } from '../../src/replay/replay-target.js';
import { introspectTable, queryRunnerOf } from './introspect-columns.js';
import { tableSchemaOf } from './column-mapping.js';
import { TableNotFoundError } from './mysql-errors.js';
import { type MysqlColumnPlan, planMysqlColumn } from './replay-columns.js';
import { type MysqlParamEncoder, UnwritableValue, mysqlParamEncoder } from './replay-values.js';
import { type ReplayConnection, openReplayConnection } from './replay-connection.js';
import { autoIncrementClause, autoIncrementIndex, generatedClause, onUpdateClause, tableOptionsClause, withoutUnknownCollations } from './replay-definition.js';
import { type MysqlColumnDefaults, mysqlColumnDefaults } from './replay-defaults.js';

/** Rows per INSERT statement: keeps a statement well under max_allowed_packet. */
const ROWS_PER_STATEMENT = 1000;

const quoteId = (name: string): string => `\`${name.replace(/`/g, '``')}\``;

/** Kinds that read back alike (MariaDB's JSON is LONGTEXT; a UUID may be rebuilt as CHAR(36)). */
const family = (kind: string): string => (['string', 'json', 'uuid', 'enum', 'set'].includes(kind) ? 'text' : kind === 'boolean' ? 'int' : kind === 'time-micros' ? 'duration-micros' : kind);

/** Replay into MySQL/MariaDB: every table goes into the target URL's database, under its own name. */
export async function openMysqlReplayTarget(url: string, log: Logger): Promise<ReplayTarget> {
  const db = await openReplayConnection(url, 'target');
  let version: string;
  try {
    const [rows] = await db.connection.query('SELECT VERSION() AS version');
    version = String((rows as Array<{ version: unknown }>)[0]?.version ?? '');
  } catch (err) {
    await db.connection.end().catch(() => {});
    throw db.fail(err, 'reading the server version');
  }
  return new MysqlReplayTarget(db, /mariadb/i.test(version), log);
}

interface WritePlan {
  columns: Array<{ name: string; encode: MysqlParamEncoder; kind: ColumnType['kind'] }>;
  key: string[];
}

/**
 * `column <=> ?` made exact for a keyless table's delete (table-applier.ts): text compares as its UTF-8 bytes
 * (a collation would take 'a' for 'A', a PAD SPACE one 'a ' for 'a'); MySQL's JSON against a JSON value
 * (MariaDB's JSON is text).
 */
function equalsParam(column: string, kind: ColumnType['kind'], mariaDb: boolean): string {
  if (kind === 'json' && !mariaDb) return `${column} <=> CAST(? AS JSON)`;
  if (['string', 'json', 'uuid', 'enum', 'set'].includes(kind)) return `CAST(CONVERT(${column} USING utf8mb4) AS BINARY) <=> CAST(? AS BINARY)`;
  return `${column} <=> ?`;
}

class MysqlReplayTarget implements ReplayTarget {
  private readonly plans = new Map<string, WritePlan>();
  /** Where each table's topic came from (the source kind ensureTable was told). */
  private readonly sources = new Map<string, SourceKind>();
  /** The server's collation names, lower case (read once). */
  private collations: Set<string> | undefined;

  constructor(private readonly db: ReplayConnection, private readonly mariaDb: boolean, private readonly log: Logger) {}

  async check(versions: readonly TableSchema[], source: SourceKind): Promise<void> {
    for (const version of versions) for (const column of version.columns) this.columnPlan(version, column, source);
    const latest = versions.at(-1)!;
    const existing = await this.existing(latest);
    if (!existing) return;
    const where = `target table ${this.db.database}.${latest.id.name}`;
    if (existing.key.join(',') !== latest.key.join(',')) {
      throw new ConfigError(`${where} has the key (${existing.key.join(', ')}), the topic has (${latest.key.join(', ')}): drop or rename the target table, or replay into another database`);
    }
    for (const column of latest.columns) {
      const there = existing.columns.find((c) => c.name === column.name);
      if (!there) continue;
      const plan = this.columnPlan(latest, column, source);
      if (family(there.type.kind) !== family(plan.kind)) {
        throw new ConfigError(`${where} has column ${column.name} as ${there.sourceType}, the topic needs ${plan.sql}: drop or rename the target table, or replay into another database`);
      }
    }
  }

  async ensureTable(given: TableSchema, dropped: readonly string[], source: SourceKind): Promise<void> {
    this.sources.set(tableIdText(given.id), source);
    const existing = await this.existing(given);
    const name = this.tableName(given);
    // Collations are carried between MySQL/MariaDB servers only (a PostgreSQL collation means nothing here).
    const table = source === 'mysql' ? await this.withKnownCollations(given) : given;
    const type = (c: Column): string => this.columnPlan(table, c, source).sql;
    await this.run(async () => {
      if (!existing) {
        const create = (withGenerated: boolean): string => {
          const defs = table.columns.map((c) => {
            const generated = withGenerated ? generatedClause(c, source) : '';
            // A generated column takes no NULL / NOT NULL of its own.
            // DEFAULT belongs right after NULL / NOT NULL; generated and AUTO_INCREMENT columns take none.
            const autoIncrement = autoIncrementClause(c, source);
            const byDefault = generated || autoIncrement ? undefined : this.defaults(c, source).table;
            return `${quoteId(c.name)} ${type(c)}${generated}${generated ? '' : c.nullable ? ' NULL' : ' NOT NULL'}${byDefault === undefined ? '' : ` DEFAULT ${byDefault}`}${onUpdateClause(c, source)}${autoIncrement}`;
          });
          const autoIncrement = autoIncrementIndex(table, source);
          // A keyless table is rebuilt from its change log (no primary key to make).
          const keys = [...(table.key.length > 0 ? [`PRIMARY KEY (${table.key.map(quoteId).join(', ')})`] : []), ...(autoIncrement ? [`KEY (${quoteId(autoIncrement)})`] : [])];
          return `CREATE TABLE ${name} (${[...defs, ...keys].join(', ')})${tableOptionsClause(table, source)}`;
        };
        const generated = table.columns.filter((c) => generatedClause(c, source) !== '');
        try {
          await this.db.connection.query(create(true));
        } catch (err) {
          if (generated.length === 0) throw err;
          // The target refused an expression: the columns become plain ones, written with the topic's values.
          this.log.warn({ table: tableIdText(table.id), columns: generated.map((c) => c.name), error: (err as Error).message },
            'the target refused the generated columns\' expressions: they are created as plain columns');
          await this.db.connection.query(create(false));
        }
        this.log.info({ table: tableIdText(table.id) }, 'created target table');
        return;
      }
      const changes: string[] = [];
      const tableDefaults: string[] = [];
      table.columns.forEach((c, i) => {
        if (existing.columns.some((e) => e.name === c.name)) return;
        // At the place the source put it. The rows written before the column read its missing value as at the
        // source; without one they have no value, so the column is added nullable.
        const place = i === 0 ? ' FIRST' : ` AFTER ${quoteId(table.columns[i - 1]!.name)}`;
        const generated = generatedClause(c, source);
        const defaults = generated ? {} as MysqlColumnDefaults : this.defaults(c, source);
        const added = generated ? '' : defaults.added === undefined ? ' NULL' : `${c.nullable ? ' NULL' : ' NOT NULL'} DEFAULT ${defaults.added}`;
        changes.push(`ADD COLUMN ${quoteId(c.name)} ${type(c)}${generated}${added}${onUpdateClause(c, source)}${place}`);
        if (defaults.table !== undefined && defaults.table !== defaults.added) tableDefaults.push(`ALTER COLUMN ${quoteId(c.name)} SET DEFAULT ${defaults.table}`);
      });
      // A column whose type changed at the source (MODIFY / CHANGE): the same change here, so the replica's type
      // follows (the rows the source converted without row events come again through its resync).
      if (source === 'mysql') {
        for (const c of table.columns) {
          const e = existing.columns.find((x) => x.name === c.name);
          if (!e || c.generated || e.sourceType.toLowerCase() === c.sourceType.toLowerCase()) continue;
          const byDefault = autoIncrementClause(c, source) ? undefined : this.defaults(c, source).table;
          changes.push(`MODIFY COLUMN ${quoteId(c.name)} ${type(c)}${c.nullable ? ' NULL' : ' NOT NULL'}${byDefault === undefined ? '' : ` DEFAULT ${byDefault}`}${onUpdateClause(c, source)}${autoIncrementClause(c, source)}`);
        }
      }
      for (const d of dropped) if (existing.columns.some((e) => e.name === d)) changes.push(`DROP COLUMN ${quoteId(d)}`);
      if (changes.length > 0) await this.db.connection.query(`ALTER TABLE ${name} ${changes.join(', ')}`);
      if (tableDefaults.length > 0) await this.db.connection.query(`ALTER TABLE ${name} ${tableDefaults.join(', ')}`);
    }, `creating ${name}`);
    // Generated columns of the target compute their values: never written.
    const info = await this.run(() => introspectTable(queryRunnerOf(this.db.connection as never), this.db.database, table.id.name), 'reading the target table');
    const computed = new Set(info.columns.filter((c) => c.generated).map((c) => c.name));
    this.plans.set(tableIdText(table.id), {
      columns: table.columns.filter((c) => !computed.has(c.name)).map((c) => ({ name: c.name, encode: mysqlParamEncoder(c.type), kind: c.type.kind })),
      key: table.key,
    });
  }

  /** After the rows: the AUTO_INCREMENT counter continues after the largest value (InnoDB keeps it so; said once more for any engine). */
  async finishTable(table: TableSchema): Promise<void> {
    const name = this.tableName(table);
    await this.run(async () => {
      const info = await introspectTable(queryRunnerOf(this.db.connection as never), this.db.database, table.id.name);
      // A column the source has NOT NULL was added nullable when older rows had no value for it (an expression
      // default); once every row has one (its resync came through), it is NOT NULL here too.
      const existing = tableSchemaOf(info);
      const source = this.sources.get(tableIdText(table.id)) ?? 'mysql';
      const notNull: string[] = [];
      for (const c of table.columns) {
        const target = existing.columns.find((x) => x.name === c.name);
        if (c.nullable || c.generated || !target?.nullable) continue;
        const [nulls] = await this.db.connection.query(`SELECT 1 FROM ${name} WHERE ${quoteId(c.name)} IS NULL LIMIT 1`);
        if ((nulls as unknown[]).length > 0) {
          this.log.warn({ table: tableIdText(table.id), column: c.name }, 'the column is NOT NULL at the source but some replayed rows have no value for it: it stays nullable here');
          continue;
        }
        const byDefault = autoIncrementClause(c, source) ? undefined : this.defaults(c, source).table;
        notNull.push(`MODIFY COLUMN ${quoteId(c.name)} ${this.columnPlan(table, c, source).sql} NOT NULL${byDefault === undefined ? '' : ` DEFAULT ${byDefault}`}${onUpdateClause(c, source)}${autoIncrementClause(c, source)}`);
      }
      if (notNull.length > 0) await this.db.connection.query(`ALTER TABLE ${name} ${notNull.join(', ')}`);
      const column = info.columns.find((c) => c.autoIncrement);
      if (!column) return;
      const [rows] = await this.db.connection.query(`SELECT CAST(MAX(${quoteId(column.name)}) AS CHAR) AS max FROM ${name}`);
      const max = (rows as Array<{ max: string | null }>)[0]?.max;
      if (max !== null && max !== undefined && /^\d+$/.test(max)) await this.db.connection.query(`ALTER TABLE ${name} AUTO_INCREMENT = ${BigInt(max) + 1n}`);
    }, `setting the AUTO_INCREMENT counter of ${name}`);
  }

  /**
   * The table without the collations this server does not have (a newer server's, say): those columns get the
   * cross-database rule (utf8mb4_bin), the table the server's default, with a warning.
   */
  private async withKnownCollations(table: TableSchema): Promise<TableSchema> {
    if (!this.collations) {
      const [rows] = await this.run(() => this.db.connection.query('SELECT LOWER(COLLATION_NAME) AS name FROM information_schema.COLLATIONS'), 'reading the collations');
      // MariaDB ≥ 10.10 also names collations with their character set (utf8mb4_uca1400_ai_ci); MySQL has no such column.
      const [full] = await this.db.connection.query('SELECT LOWER(FULL_COLLATION_NAME) AS name FROM information_schema.COLLATION_CHARACTER_SET_APPLICABILITY').catch(() => [[]]);
      this.collations = new Set([...(rows as Array<{ name: string }>), ...(full as Array<{ name: string }>)].map((r) => r.name));
    }
    const { table: usable, missing } = withoutUnknownCollations(table, this.collations);
    if (missing.length > 0) this.log.warn({ table: tableIdText(table.id), collations: missing }, 'the target lacks these collations: text columns using them are utf8mb4_bin');
    return usable;
  }

  async apply(table: TableSchema, steps: readonly ReplayStep[]): Promise<void> {
    const plan = this.plans.get(tableIdText(table.id));
    if (!plan) throw new Error(`ensureTable was not called for ${tableIdText(table.id)}`);
    const name = this.tableName(table);
    const conn = this.db.connection;
    const names = plan.columns.map((c) => quoteId(c.name));
    const updates = plan.columns.filter((c) => !plan.key.includes(c.name)).map((c) => `${quoteId(c.name)} = VALUES(${quoteId(c.name)})`);
    const keyColumns = plan.key.map((k) => plan.columns.find((c) => c.name === k)!);
    const values = (columns: WritePlan['columns'], row: Row) => columns.map((c) => {
      const v = row[c.name];
      if (v === null || v === undefined) return null;
      try {
        return c.encode(v);
      } catch (err) {
        if (err instanceof UnwritableValue) throw new ConfigError(`cannot write ${tableIdText(table.id)}.${c.name}: ${err.message}`);
        throw err;
      }
    });
    // A keyless table's delete: one row equal in every column (any of its duplicates).
    const deleteOne = `DELETE FROM ${name} WHERE ${plan.columns.map((c) => equalsParam(quoteId(c.name), c.kind, this.mariaDb)).join(' AND ') || 'TRUE'} LIMIT 1`;
    let unmatched = 0;
    await this.run(async () => {
      await conn.beginTransaction();
      try {
        for (const step of steps) {
          if (step.kind === 'truncate') {
            // DELETE, not TRUNCATE: TRUNCATE commits the transaction implicitly.
            await conn.query(`DELETE FROM ${name}`);
            continue;
          }
          if (step.kind === 'row-log') {
            // Runs of inserts as multi-row INSERTs, each delete on its own, in order.
            let inserts: unknown[][] = [];
            const insert = async () => {
              for (let i = 0; i < inserts.length; i += ROWS_PER_STATEMENT) await conn.query(`INSERT INTO ${name} (${names.join(', ')}) VALUES ?`, [inserts.slice(i, i + ROWS_PER_STATEMENT)]);
              inserts = [];
            };
            for (const change of step.changes) {
              if (change.op === 'insert') {
                inserts.push(values(plan.columns, change.row));
                continue;
              }
              await insert();
              const [result] = await conn.query(deleteOne, values(plan.columns, change.row));
              if ((result as { affectedRows: number }).affectedRows === 0) unmatched++;
            }
            await insert();
            continue;
          }
          for (let i = 0; i < step.deletes.length; i += ROWS_PER_STATEMENT) {
            const keys = step.deletes.slice(i, i + ROWS_PER_STATEMENT).map((row) => values(keyColumns, row));
            await conn.query(`DELETE FROM ${name} WHERE (${keyColumns.map((c) => quoteId(c.name)).join(', ')}) IN (?)`, [keys]);
          }
          for (let i = 0; i < step.upserts.length; i += ROWS_PER_STATEMENT) {
            const rows = step.upserts.slice(i, i + ROWS_PER_STATEMENT).map((row) => values(plan.columns, row));
            const onDuplicate = updates.length > 0 ? ` ON DUPLICATE KEY UPDATE ${updates.join(', ')}` : '';
            await conn.query(`INSERT${updates.length > 0 ? '' : ' IGNORE'} INTO ${name} (${names.join(', ')}) VALUES ?${onDuplicate}`, [rows]);
          }
        }
        await conn.commit();
      } catch (err) {
        await conn.rollback().catch(() => {});
        throw err;
      }
    }, `writing ${name}`);
    if (unmatched > 0) this.log.warn({ table: tableIdText(table.id), rows: unmatched }, 'replay: deleted rows of a table without a key were not in the target (it differs from the source)');
  }

  async close(): Promise<void> {
    await this.db.connection.end().catch(() => {});
  }

  private tableName(table: TableSchema): string {
    return `${quoteId(this.db.database)}.${quoteId(table.id.name)}`;
  }

  private async existing(table: TableSchema): Promise<TableSchema | undefined> {
    try {
      return tableSchemaOf(await introspectTable(queryRunnerOf(this.db.connection as never), this.db.database, table.id.name));
    } catch (err) {
      if (err instanceof TableNotFoundError) return undefined;
      throw this.db.fail(err, 'reading the target table');
    }
  }

  private defaults(column: Column, source: SourceKind): MysqlColumnDefaults {
    return mysqlColumnDefaults(column, source, mysqlParamEncoder(column.type), (value) => this.db.connection.escape(value as never));
  }

  private columnPlan(table: TableSchema, column: Column, source: SourceKind): MysqlColumnPlan {
    const plan = planMysqlColumn(column, source, table.key.includes(column.name));
    if ('unsupported' in plan) {
      throw new ConfigError(`cannot replay ${tableIdText(table.id)}.${column.name} (${column.sourceType}) into MySQL: ${plan.unsupported}; leave the table out (--table) or replay into another database`);
    }
    return plan;
  }

  private async run<T>(work: () => Promise<T>, doing: string): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw this.db.fail(err, doing);
    }
  }
}
