import type { SetupPlan, SetupPlanOptions, SetupStatement } from '../../src/setup/setup-plan.js';
import { closeQuietly, openCatalogClient } from './pg-client.js';
import type { PgEndpoint } from './pg-endpoint.js';
import { mapPgError } from './pg-errors.js';
import { quoteIdent } from './pg-identifiers.js';
import { publicationOptions } from './publication.js';
import { postgresObjectNames } from './postgres-connector.js';

interface TableRow {
  namespace: string;
  name: string;
  owner: string;
  partitioned: boolean;
  replident: 'd' | 'n' | 'f' | 'i';
  has_pk: boolean;
  /** Leaf partitions of a partitioned table, with their replica identity. */
  leaves: { namespace: string; name: string; replident: string }[];
}

const SETUP_SQL = `
SELECT n.nspname::text AS namespace, c.relname::text AS name, pg_catalog.pg_get_userbyid(c.relowner)::text AS owner,
       c.relkind = 'p' AS partitioned, c.relreplident::text AS replident,
       EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_pk,
       COALESCE((SELECT json_agg(json_build_object('namespace', ln.nspname, 'name', l.relname, 'replident', l.relreplident::text))
                 FROM pg_catalog.pg_partition_tree(c.oid) t
                 JOIN pg_catalog.pg_class l ON l.oid = t.relid AND t.isleaf AND l.oid <> c.oid
                 JOIN pg_catalog.pg_namespace ln ON ln.oid = l.relnamespace), '[]'::json) AS leaves
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY 1, 2`;

const SERVER_SQL = `
SELECT current_setting('server_version') AS version, current_setting('server_version_num')::int AS version_num, current_setting('wal_level') AS wal_level,
       current_setting('max_replication_slots')::int AS max_slots, current_setting('max_wal_senders')::int AS max_senders,
       (SELECT count(*) FROM pg_catalog.pg_replication_slots)::int AS slots_used,
       current_database()::text AS database,
       EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1) AS role_exists,
       (SELECT puballtables FROM pg_catalog.pg_publication WHERE pubname = $2) AS publication_all_tables`;

/**
 * `logtap init` for PostgreSQL: reads the server's settings and every table FOR ALL TABLES would publish, and
 * plans what a DBA runs so that `role` can run the connector: the role (LOGIN REPLICATION, never a superuser),
 * read access to the captured schemas now and later, the publication (FOR ALL TABLES needs a superuser), and
 * the replica identity each table needs so its updates and deletes can be published with their key. Read-only.
 */
export async function planPostgresSetup(url: string, endpoint: PgEndpoint, options: SetupPlanOptions): Promise<SetupPlan> {
  const db = await openCatalogClient(url, 'logtap:init', endpoint);
  try {
    const { publication } = postgresObjectNames(options.name);
    const server = (await db.query(SERVER_SQL, [options.role, publication])).rows[0] as {
      version: string; version_num: number; wal_level: string; max_slots: number; max_senders: number; slots_used: number; database: string;
      role_exists: boolean; publication_all_tables: boolean | null;
    };
    const tables = (await db.query<TableRow>(SETUP_SQL)).rows;
    const role = quoteIdent(options.role);
    const statements: SetupStatement[] = [];
    statements.push(server.role_exists
      ? { sql: `ALTER ROLE ${role} WITH LOGIN REPLICATION`, why: `the role exists: it needs to log in and to stream (REPLICATION; never a superuser)` }
      : { sql: `CREATE ROLE ${role} WITH LOGIN REPLICATION PASSWORD :'password'`, why: 'the role logtap runs as: it logs in and streams (REPLICATION), nothing more' });
    statements.push({ sql: `GRANT CONNECT ON DATABASE ${quoteIdent(server.database)} TO ${role}`, why: 'it connects to this database' });
    const schemas = [...new Set(tables.map((t) => t.namespace))];
    for (const schema of schemas) {
      const s = quoteIdent(schema);
      const owners = [...new Set(tables.filter((t) => t.namespace === schema).map((t) => t.owner))];
      statements.push({ sql: `GRANT USAGE ON SCHEMA ${s} TO ${role}`, why: `it reads the tables of schema ${schema} (snapshot, backfill, TOAST read-back)` });
      statements.push({ sql: `GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${role}`, why: `${tables.filter((t) => t.namespace === schema).length} table(s) in ${schema} now` });
      for (const owner of owners) {
        statements.push({ sql: `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(owner)} IN SCHEMA ${s} GRANT SELECT ON TABLES TO ${role}`, why: `and the tables ${owner} creates in ${schema} later` });
      }
    }
    if (server.publication_all_tables === null) {
      statements.push({
        sql: `CREATE PUBLICATION ${quoteIdent(publication)} FOR ALL TABLES WITH (${publicationOptions(server.version_num)})`,
        why: `the publication of connector ${options.name} (FOR ALL TABLES needs a superuser; logtap finds it by name)`,
      });
    } else if (!server.publication_all_tables) {
      statements.push({
        sql: `DROP PUBLICATION ${quoteIdent(publication)}; CREATE PUBLICATION ${quoteIdent(publication)} FOR ALL TABLES WITH (${publicationOptions(server.version_num)})`,
        why: `publication ${publication} exists for a table list; by default logtap captures every table`,
      });
    }
    for (const t of tables) statements.push(...replicaIdentityStatements(t));

    const settings: SetupPlan['settings'] = [];
    if (server.wal_level !== 'logical') settings.push({ name: 'wal_level', value: 'logical', current: server.wal_level, why: 'logical decoding needs it' });
    if (server.max_slots <= server.slots_used) settings.push({ name: 'max_replication_slots', value: String(server.slots_used + 4), current: String(server.max_slots), why: 'every slot is taken' });
    if (server.max_senders < 2) settings.push({ name: 'max_wal_senders', value: '10', current: String(server.max_senders), why: 'the stream and the snapshot each use a WAL sender' });

    const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
    return {
      server: `PostgreSQL ${server.version}`,
      statements,
      settings,
      tables: tables.map((t) => `${t.namespace}.${t.name}`),
      url: `postgres://${encodeURIComponent(options.role)}:\${LOGTAP_SOURCE_PASSWORD}@${host}:${endpoint.port}/${encodeURIComponent(server.database)}`,
      passwordVariable: 'LOGTAP_SOURCE_PASSWORD',
      howToRun: `psql -v password="$LOGTAP_SOURCE_PASSWORD" -d ${server.database} -f <this file>`,
    };
  } catch (err) {
    throw mapPgError(err, endpoint, 'inspecting the source for init');
  } finally {
    await closeQuietly(db);
  }
}

/** The replica identity that lets a table's updates and deletes be published: its key, or its whole old row. */
function replicaIdentityStatements(t: TableRow): SetupStatement[] {
  const table = `${quoteIdent(t.namespace)}.${quoteIdent(t.name)}`;
  const targets = [{ table, replident: t.replident }, ...(t.partitioned ? t.leaves.map((l) => ({ table: `${quoteIdent(l.namespace)}.${quoteIdent(l.name)}`, replident: l.replident })) : [])];
  const wanted = t.has_pk ? 'DEFAULT' : 'FULL';
  const fine = (replident: string) => (t.has_pk ? replident === 'd' || replident === 'i' || replident === 'f' : replident === 'f' || replident === 'i');
  const why = t.has_pk
    ? `${t.namespace}.${t.name} has a primary key but REPLICA IDENTITY NOTHING: DEFAULT publishes its key with every update and delete`
    : `${t.namespace}.${t.name} has no primary key: FULL publishes the whole old row with every update and delete (its topic is a change log, not compacted)`;
  return targets.filter((target) => !fine(target.replident)).map((target) => ({ sql: `ALTER TABLE ${target.table} REPLICA IDENTITY ${wanted}`, why: target.table === table ? why : `and its partition ${target.table}` }));
}
