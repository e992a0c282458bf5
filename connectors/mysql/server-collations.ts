import type { MysqlQueryRunner } from './introspect-columns.js';

/**
 * The server's own collation ids: a binlog TableMap names each text column's collation by id only, and zongji maps
 * ids with MySQL 8's table, guessing utf8mb4 for any other (MariaDB's nopad and uca1400 collations are > 1000).
 */
export interface ServerCollations {
  /** The id of a collation as INFORMATION_SCHEMA.COLUMNS names it; undefined when the server lists no such one. */
  idOf(name: string): number | undefined;
  /** A collation id's name and character set; undefined when the server lists no such id. */
  byId(id: number): { name: string; charset: string } | undefined;
}

// MariaDB ≥ 10.10 lists full names (utf8mb4_uca1400_ai_ci) with their ids here; COLLATIONS has only the short ones.
const MARIADB_SQL = `SELECT ID AS id, FULL_COLLATION_NAME AS name, CHARACTER_SET_NAME AS charset
  FROM information_schema.COLLATION_CHARACTER_SET_APPLICABILITY`;
const COLLATIONS_SQL = 'SELECT ID AS id, COLLATION_NAME AS name, CHARACTER_SET_NAME AS charset FROM information_schema.COLLATIONS';

export async function readServerCollations(runner: MysqlQueryRunner): Promise<ServerCollations> {
  let rows: Record<string, unknown>[];
  try {
    rows = await runner.query(MARIADB_SQL, []);
  } catch {
    rows = await runner.query(COLLATIONS_SQL, []); // MySQL, MariaDB < 10.10: no FULL_COLLATION_NAME column
  }
  const ids = new Map<string, number>();
  const collations = new Map<number, { name: string; charset: string }>();
  for (const row of rows) {
    if (row.id == null || row.name == null || row.charset == null) continue;
    const id = Number(row.id);
    ids.set(String(row.name), id);
    collations.set(id, { name: String(row.name), charset: String(row.charset) });
  }
  return { idOf: (name) => ids.get(name), byId: (id) => collations.get(id) };
}
