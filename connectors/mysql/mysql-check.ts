import { LogtapError } from '../../src/errors.js';
import type { TableId } from '../../src/model/table-schema.js';
import type { CheckFinding } from '../../src/source/source-connector.js';
import { grantFix, replicationGrants } from './driver-errors.js';
import type { MysqlSourceSettings } from './mysql-source-url.js';
import { blockingSettings, masterStatus, type ServerSettings } from './server-settings.js';
import { openSourceSession, type SourceSession } from './source-session.js';
import type { TableSelection } from './table-selection.js';
import { cascadeFindings } from './cascade-check.js';

/** Binlogs kept for less than this are a warning: an outage over a weekend would lose the position. */
const MIN_RETENTION_SECONDS = 3 * 86_400;

/**
 * Preflight of a MySQL/MariaDB source: everything that would stop or degrade streaming, each with its fix.
 * Reads only. A source that cannot be reached at all rejects with the connection's error (one line).
 * `readsBackRows`: the connector can read rows back from the topics (entity envelope), which deriving foreign-key
 * cascades needs.
 */
export async function checkMysqlSource(settings: MysqlSourceSettings, selection: TableSelection, readsBackRows: boolean): Promise<CheckFinding[]> {
  const session = await openSourceSession(settings);
  try {
    const { server } = session;
    const findings = serverFindings(server, settings.serverId);
    findings.push(...await privilegeFindings(session, settings));
    findings.push(...await tableFindings(session, settings, selection));
    findings.push(...await cascadeFindings(session.runner, selection, readsBackRows));
    return findings;
  } finally {
    await session.close();
  }
}

/** What the server's variables say (no queries): binlog settings, GTIDs, the replica id, binlog retention. */
export function serverFindings(server: ServerSettings, connectorServerId: number): CheckFinding[] {
  const findings: CheckFinding[] = blockingSettings(server).map((p) => ({ level: 'error', ...p }));
  if (server.binlogRowMetadata !== 'FULL') {
    findings.push({
      level: 'warning', id: 'binlog_row_metadata',
      message: `binlog_row_metadata is ${server.binlogRowMetadata ?? 'not supported by this server'}: a table's shape is then read from INFORMATION_SCHEMA, which is wrong for binlog events written before a later ALTER TABLE`,
      fix: server.binlogRowMetadata === undefined ? 'upgrade to MySQL ≥ 8.0.1 or MariaDB ≥ 10.5' : "SET GLOBAL binlog_row_metadata = 'FULL' and set it in the server configuration",
    });
  }
  if (!server.gtids) {
    findings.push({
      level: 'warning', id: 'gtid_mode',
      message: `gtid_mode is ${server.gtidMode}: positions are binlog file offsets, which do not survive a failover to another server`,
      fix: 'enable GTIDs (enforce_gtid_consistency=ON, then gtid_mode=ON step by step)',
    });
  }
  if (server.serverId === connectorServerId) {
    findings.push({
      level: 'error', id: 'server_id',
      message: `the connector's replica server id ${connectorServerId} is the server's own server_id`,
      fix: 'set another server_id URL parameter',
    });
  }
  if (server.logBin && server.retentionSeconds > 0 && server.retentionSeconds < MIN_RETENTION_SECONDS) {
    findings.push({
      level: 'warning', id: 'binlog_retention',
      message: `binlogs are kept ${formatDuration(server.retentionSeconds)}: a connector stopped longer than that loses its position`,
      fix: `keep them at least ${formatDuration(MIN_RETENTION_SECONDS)}: SET GLOBAL binlog_expire_logs_seconds = ${MIN_RETENTION_SECONDS}${server.isMariaDb ? ' (MariaDB < 10.6: expire_logs_days = 3)' : ''} and set it in the server configuration`,
    });
  }
  return findings;
}

async function privilegeFindings(session: SourceSession, settings: MysqlSourceSettings): Promise<CheckFinding[]> {
  const findings: CheckFinding[] = [];
  const context = { ...session.errors };
  const { privileges, roles } = await globalPrivileges(session);
  const has = (...names: string[]) => privileges.has('ALL PRIVILEGES') || names.some((n) => privileges.has(n));
  if (!has('REPLICATION SLAVE', 'REPLICA')) {
    findings.push(roles
      ? {
          level: 'warning', id: 'replication_privilege',
          message: `user '${settings.user}' has no direct REPLICATION SLAVE grant (one through a role cannot be verified here)`,
          fix: grantFix(context),
        }
      : {
          level: 'error', id: 'replication_privilege',
          message: `user '${settings.user}' lacks REPLICATION SLAVE: the server refuses to stream the binlog`,
          fix: grantFix(context),
        });
  }
  try {
    await masterStatus(session.runner);
  } catch (err) {
    if (!(err instanceof LogtapError)) throw err;
    if (!/privilege|denied/i.test(err.message)) {
      if (session.server.logBin) throw err;
      return findings; // no binary log: reported as log_bin
    }
    findings.push({
      level: 'error', id: 'replication_client_privilege',
      message: `user '${settings.user}' may not read the binlog status (SHOW MASTER STATUS)`,
      fix: `GRANT ${replicationGrants(session.server.isMariaDb).split(', ')[1]} ON *.* TO '${settings.user}'@'%' (adjust the host part to the account's)`,
    });
  }
  return findings;
}

/** The current account's global privileges (SHOW GRANTS lines `… ON *.* TO …`), upper-case, and whether it has roles. */
async function globalPrivileges(session: SourceSession): Promise<{ privileges: Set<string>; roles: boolean }> {
  const rows = await session.runner.query('SHOW GRANTS', []);
  const privileges = new Set<string>();
  let roles = false;
  for (const row of rows) {
    const line = String(Object.values(row)[0] ?? '');
    const match = /^GRANT (.+?) ON \*\.\* TO /i.exec(line);
    if (match) {
      for (const privilege of match[1]!.split(',')) privileges.add(privilege.trim().toUpperCase());
    } else if (/^GRANT [`'][^`']+[`'](@[`'][^`']*[`'])? TO /i.test(line)) {
      roles = true; // GRANT `role` TO `user`@`host`
    }
  }
  return { privileges, roles };
}

async function tableFindings(session: SourceSession, settings: MysqlSourceSettings, selection: TableSelection): Promise<CheckFinding[]> {
  const findings: CheckFinding[] = [];
  let tables: TableId[];
  if (selection.tables) {
    tables = [];
    for (const table of selection.tables) {
      const found = await session.runner.query('SELECT 1 AS found FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [table.namespace, table.name]);
      if (found.length === 0) {
        findings.push({
          level: 'error', id: `table_missing:${table.namespace}.${table.name}`,
          message: `configured table ${table.namespace}.${table.name} does not exist (or user '${settings.user}' cannot see it)`,
          fix: `create it, grant SELECT on it to '${settings.user}', or remove it from source.tables`,
        });
      } else {
        tables.push(table);
      }
    }
  } else if (settings.database !== '') {
    const found = await session.runner.query('SELECT 1 AS found FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [settings.database]);
    if (found.length === 0) {
      return [{ level: 'error', id: 'database_missing', message: `database ${settings.database} of the source URL does not exist (or user '${settings.user}' cannot see it)`, fix: `create it, correct the URL path, or grant '${settings.user}' SELECT on it` }];
    }
    const rows = await session.runner.query("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", [settings.database]);
    tables = rows.map((row) => ({ namespace: settings.database, name: String(row.name) }));
  } else {
    tables = [];
  }
  for (const table of tables) {
    const label = `${table.namespace}.${table.name}`;
    try {
      await session.runner.query(`SELECT 1 FROM ${quoteName(table.namespace)}.${quoteName(table.name)} LIMIT 0`, []);
    } catch (err) {
      if (!(err instanceof LogtapError) || !/denied/i.test(err.message)) throw err;
      findings.push({ level: 'error', id: `select_privilege:${label}`, message: `user '${settings.user}' may not SELECT from ${label}`, fix: `GRANT SELECT ON ${quoteName(table.namespace)}.${quoteName(table.name)} TO '${settings.user}'@'%'` });
    }
    const key = await session.runner.query("SELECT 1 AS found FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' LIMIT 1", [table.namespace, table.name]);
    if (key.length === 0) {
      findings.push({
        level: 'warning', id: `no_primary_key:${label}`,
        message: `table ${label} has no primary key: its topic is a change log of whole rows without Kafka keys (not compacted, every record kept, one partition), which grows with every change; replay rebuilds the table from it, each delete scanning the target table`,
        fix: `ALTER TABLE ${quoteName(table.namespace)}.${quoteName(table.name)} ADD PRIMARY KEY (…) for a compacted topic`,
      });
    }
  }
  return findings;
}

const quoteName = (name: string): string => `\`${name.replaceAll('`', '``')}\``;

function formatDuration(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} day(s)`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600} hour(s)`;
  return `${seconds} s`;
}
