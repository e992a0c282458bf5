import type { MysqlQueryRunner } from './introspect-columns.js';

/**
 * The server's own collation ids: a binlog TableMap names each text column's collation by id only, and zongji maps
 * ids with MySQL 8's table, guessing utf8mb4 for any other (MariaDB's nopad and uca1400 collations are > 1000).
 */
export interface ServerCollations {
  /** The id of a collation as INFORMATION_SCHEMA.COLUMNS names it; undefined when the server lists no such one. */
  idOf(name: string): number | undefined;
  /** A collation id's name, character set and the set's bytes per character at most; undefined when not listed. */
  byId(id: number): ServerCollation | undefined;
}

export interface ServerCollation {
  name: string;
  charset: string;
  maxBytesPerChar: number;
}

// MariaDB ≥ 10.10 lists full names (utf8mb4_uca1400_ai_ci) with their ids here; COLLATIONS has only the short ones.
const MARIADB_SQL = `SELECT a.ID AS id, a.FULL_COLLATION_NAME AS name, a.CHARACTER_SET_NAME AS charset, s.MAXLEN AS maxlen
  FROM information_schema.COLLATION_CHARACTER_SET_APPLICABILITY a
  JOIN information_schema.CHARACTER_SETS s ON s.CHARACTER_SET_NAME = a.CHARACTER_SET_NAME`;
const COLLATIONS_SQL = `SELECT c.ID AS id, c.COLLATION_NAME AS name, c.CHARACTER_SET_NAME AS charset, s.MAXLEN AS maxlen
  FROM information_schema.COLLATIONS c JOIN information_schema.CHARACTER_SETS s ON s.CHARACTER_SET_NAME = c.CHARACTER_SET_NAME`;

export async function readServerCollations(runner: MysqlQueryRunner): Promise<ServerCollations> {
  let rows: Record<string, unknown>[];
  try {
    rows = await runner.query(MARIADB_SQL, []);
  } catch {
    rows = await runner.query(COLLATIONS_SQL, []); // MySQL, MariaDB < 10.10: no FULL_COLLATION_NAME column
  }
  const ids = new Map<string, number>();
  const collations = new Map<number, ServerCollation>();
  for (const row of rows) {
    if (row.id == null || row.name == null || row.charset == null) continue;
    const id = Number(row.id);
    ids.set(String(row.name), id);
    collations.set(id, { name: String(row.name), charset: String(row.charset), maxBytesPerChar: Number(row.maxlen ?? 1) || 1 });
  }
  return { idOf: (name) => ids.get(name), byId: (id) => collations.get(id) };
}
