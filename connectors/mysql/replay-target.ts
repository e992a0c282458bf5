import { ConfigError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import type { Row } from '../../src/model/change-event.js';
import type { Column, TableSchema } from '../../src/model/table-schema.js';
import { tableIdText } from '../../src/model/table-schema.js';
import type { ReplayStep, ReplayTarget, SourceKind } from '../../src/replay/replay-target.js';
import { introspectTable, queryRunnerOf } from './introspect-columns.js';
import { tableSchemaOf } from './column-mapping.js';
import { TableNotFoundError } from './mysql-errors.js';
import { type MysqlColumnPlan, planMysqlColumn } from './replay-columns.js';
import { type MysqlParamEncoder, UnwritableValue, mysqlParamEncoder } from './replay-values.js';
import { type ReplayConnection, openReplayConnection } from './replay-connection.js';
import { type MysqlColumnDefaults, mysqlColumnDefaults } from './replay-defaults.js';

/** Rows per INSERT statement: keeps a statement well under max_allowed_packet. */
const ROWS_PER_STATEMENT = 1000;

const quoteId = (name: string): string => `\`${name.replace(/`/g, '``')}\``;

/** Kinds that read back alike (MariaDB's JSON is LONGTEXT; a UUID may be rebuilt as CHAR(36)). */
const family = (kind: string): string => (['string', 'json', 'uuid', 'enum', 'set'].includes(kind) ? 'text' : kind === 'boolean' ? 'int' : kind === 'time-micros' ? 'duration-micros' : kind);

/** Replay into MySQL/MariaDB: every table goes into the target URL's database, under its own name. */
export async function openMysqlReplayTarget(url: string, log: Logger): Promise<ReplayTarget> {
  return new MysqlReplayTarget(await openReplayConnection(url, 'target'), log);
}

interface WritePlan {
  columns: Array<{ name: string; encode: MysqlParamEncoder }>;
  key: string[];
}

class MysqlReplayTarget implements ReplayTarget {
  private readonly plans = new Map<string, WritePlan>();

  constructor(private readonly db: ReplayConnection, private readonly log: Logger) {}

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

  async ensureTable(table: TableSchema, dropped: readonly string[], source: SourceKind): Promise<void> {
    const existing = await this.existing(table);
    const name = this.tableName(table);
    await this.run(async () => {
      if (!existing) {
        const defs = table.columns.map((c) => {
          const { table: byDefault } = this.defaults(c, source);
          return `${quoteId(c.name)} ${this.columnPlan(table, c, source).sql}${c.nullable ? ' NULL' : ' NOT NULL'}${byDefault === undefined ? '' : ` DEFAULT ${byDefault}`}`;
        });
        await this.db.connection.query(`CREATE TABLE ${name} (${defs.join(', ')}, PRIMARY KEY (${table.key.map(quoteId).join(', ')}))`);
        this.log.info({ table: tableIdText(table.id) }, 'created target table');
        return;
      }
      const changes: string[] = [];
      const tableDefaults: string[] = [];
      for (const c of table.columns) {
        if (existing.columns.some((e) => e.name === c.name)) continue;
        // The rows written before the column read its missing value as at the source; without one they have no
        // value, so the column is added nullable.
        const defaults = this.defaults(c, source);
        const added = defaults.added === undefined ? ' NULL' : `${c.nullable ? ' NULL' : ' NOT NULL'} DEFAULT ${defaults.added}`;
        changes.push(`ADD COLUMN ${quoteId(c.name)} ${this.columnPlan(table, c, source).sql}${added}`);
        if (defaults.table !== undefined && defaults.table !== defaults.added) tableDefaults.push(`ALTER COLUMN ${quoteId(c.name)} SET DEFAULT ${defaults.table}`);
      }
      for (const d of dropped) if (existing.columns.some((e) => e.name === d)) changes.push(`DROP COLUMN ${quoteId(d)}`);
      if (changes.length > 0) await this.db.connection.query(`ALTER TABLE ${name} ${changes.join(', ')}`);
      if (tableDefaults.length > 0) await this.db.connection.query(`ALTER TABLE ${name} ${tableDefaults.join(', ')}`);
    }, `creating ${name}`);
    this.plans.set(tableIdText(table.id), { columns: table.columns.map((c) => ({ name: c.name, encode: mysqlParamEncoder(c.type) })), key: table.key });
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
    await this.run(async () => {
      await conn.beginTransaction();
      try {
        for (const step of steps) {
          if (step.kind === 'truncate') {
            // DELETE, not TRUNCATE: TRUNCATE commits the transaction implicitly.
            await conn.query(`DELETE FROM ${name}`);
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
