import type { SetupPlan, SetupPlanOptions, SetupStatement } from '../../src/setup/setup-plan.js';
import { replicationGrants } from './driver-errors.js';
import type { MysqlSourceSettings } from './mysql-source-url.js';
import { openSourceSession } from './source-session.js';

const quoteName = (name: string): string => `\`${name.replaceAll('`', '``')}\``;
const quoteText = (text: string): string => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;

/**
 * `logtap init` for MySQL/MariaDB: reads the server's binlog settings and the tables of the URL's database (or of
 * every non-system database), and plans what a DBA runs so that `role` can run the connector: the account, the
 * binlog grants, SELECT on the captured databases, and the binlog settings the stream needs. Read-only. The
 * account's password is a placeholder the DBA replaces (the mariadb/mysql clients have no script variables).
 */
export async function planMysqlSetup(settings: MysqlSourceSettings, options: SetupPlanOptions): Promise<SetupPlan> {
  const session = await openSourceSession(settings);
  try {
    const { server, runner } = session;
    const tables = await runner.query(
      `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name,
              EXISTS (SELECT 1 FROM information_schema.STATISTICS s WHERE s.TABLE_SCHEMA = t.TABLE_SCHEMA AND s.TABLE_NAME = t.TABLE_NAME AND s.INDEX_NAME = 'PRIMARY') AS has_pk
       FROM information_schema.TABLES t
       WHERE TABLE_TYPE = 'BASE TABLE' AND ${settings.database === '' ? "TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')" : 'TABLE_SCHEMA = ?'}
       ORDER BY 1, 2`,
      settings.database === '' ? [] : [settings.database],
    );
    const account = `${quoteText(options.role)}@'%'`;
    const statements: SetupStatement[] = [
      { sql: `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY 'change-me'`, why: 'the account logtap runs as (replace change-me with the password you export as LOGTAP_SOURCE_PASSWORD; restrict the host part if you can)' },
      { sql: `GRANT ${replicationGrants(server.isMariaDb)} ON *.* TO ${account}`, why: 'it streams the binlog and reads its position' },
    ];
    const databases = settings.database === '' ? [...new Set(tables.map((t) => String(t.db)))] : [settings.database];
    for (const db of databases) statements.push({ sql: `GRANT SELECT ON ${quoteName(db)}.* TO ${account}`, why: `it reads the tables of ${db} (snapshot, backfill, foreign-key cascades)` });

    const plan: SetupPlan['settings'] = [];
    if (!server.logBin) plan.push({ name: 'log_bin', value: 'binlog', current: 'OFF', why: 'the binlog is what logtap reads' });
    if (server.binlogFormat !== 'ROW') plan.push({ name: 'binlog_format', value: 'ROW', current: server.binlogFormat, why: 'row events carry the rows' });
    if (server.binlogRowImage !== 'FULL') plan.push({ name: 'binlog_row_image', value: 'FULL', current: server.binlogRowImage, why: 'every column of every changed row' });
    if (server.binlogRowMetadata !== undefined && server.binlogRowMetadata !== 'FULL') plan.push({ name: 'binlog_row_metadata', value: 'FULL', current: server.binlogRowMetadata, why: 'column names in the binlog: exact around ALTER TABLE' });
    if (server.serverId === 0) plan.push({ name: 'server_id', value: '1', current: '0', why: 'a server streams its binlog only with a server id' });
    if (!server.isMariaDb && !server.gtids) plan.push({ name: 'gtid_mode', value: 'ON', current: server.gtidMode ?? 'OFF', why: 'positions that survive a failover (enforce_gtid_consistency=ON first)' });

    const keyless = tables.filter((t) => !Number(t.has_pk));
    for (const t of keyless) {
      statements.push({ sql: `-- ALTER TABLE ${quoteName(String(t.db))}.${quoteName(String(t.name))} ADD PRIMARY KEY (…)`, why: `${t.db}.${t.name} has no primary key: it is published as a change log (not compacted); give it a key if it has one` });
    }
    return {
      server: `${server.isMariaDb ? 'MariaDB' : 'MySQL'} ${server.version}`,
      statements,
      settings: plan,
      tables: tables.map((t) => `${t.db}.${t.name}`),
      url: `mariadb://${encodeURIComponent(options.role)}:\${LOGTAP_SOURCE_PASSWORD}@${settings.where}/${encodeURIComponent(settings.database)}`.replace(/^mariadb:/, server.isMariaDb ? 'mariadb:' : 'mysql:'),
      passwordVariable: 'LOGTAP_SOURCE_PASSWORD',
      howToRun: `${server.isMariaDb ? 'mariadb' : 'mysql'} -u root -p < <this file>`,
    };
  } finally {
    await session.close();
  }
}
