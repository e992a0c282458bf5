import type pg from 'pg';

/** LIKE pattern of the slot and publication a connector named `name` creates. */
export const connectorObjectPattern = (name: string): string => `%${name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}%`;

/** Drops the (inactive) slot and the publication of connector `name`, so tests leave nothing behind. */
export async function dropConnectorObjects(sql: pg.Client, name: string): Promise<void> {
  const pattern = connectorObjectPattern(name);
  await sql.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE $1 AND NOT active', [pattern]).catch(() => {});
  const { rows } = await sql.query<{ pubname: string }>('SELECT pubname FROM pg_publication WHERE pubname LIKE $1', [pattern]);
  for (const { pubname } of rows) await sql.query(`DROP PUBLICATION IF EXISTS "${pubname}"`);
}
