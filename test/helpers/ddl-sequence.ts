/**
 * Seeded random sequences of column DDL between row writes on one table, with the row images a consumer must see
 * (test/integration/*-ddl-sequences.test.ts). Fixed seeds: a failing sequence can be run again.
 */

/** mulberry32: a small seeded generator. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SequenceColumn<K extends string> { name: string; kind: K }

/** A statement, and for a row write the row image it must be published with. */
export interface SequenceStep { sql: string; expect?: { op: 'c' | 'u'; after: Record<string, unknown> } }

export interface SequenceDialect<K extends string> {
  /** Column type per kind, as ADD COLUMN writes it. */
  sqlType: Record<K, string>;
  /** A value of the kind: as SQL, and as logtap hands it over. */
  value(kind: K, n: number): { sql: string; read: unknown };
  /**
   * The dialect's own DDL, one picked for a fifth of the steps: a statement (undefined: none this time). It may
   * change a column's kind in place (a character set conversion) but not names or values.
   */
  extraDdl: Array<(table: string, columns: Array<SequenceColumn<K>>, pick: <T>(list: readonly T[]) => T, step: number) => string | undefined>;
}

export function ddlSequence<K extends string>(options: {
  seed: number;
  table: string;
  length: number;
  dialect: SequenceDialect<K>;
  columns: Array<SequenceColumn<K>>;
  /** Columns every row image has with a fixed value (never written by the sequence). */
  fixed?: Record<string, unknown>;
}): SequenceStep[] {
  const { table, dialect } = options;
  const next = seededRandom(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const kinds = Object.keys(dialect.sqlType) as K[];
  let columns = options.columns.map((c) => ({ ...c }));
  let counter = columns.length;
  const rows = new Map<number, Record<string, unknown>>();
  const steps: SequenceStep[] = [];
  let id = 0;
  const insert = (): void => {
    id++;
    const row: Record<string, unknown> = { id, ...options.fixed };
    const values = columns.map((c) => {
      const v = dialect.value(c.kind, Math.floor(next() * 1000));
      row[c.name] = v.read;
      return v.sql;
    });
    rows.set(id, row);
    steps.push({ sql: `INSERT INTO ${table} (id${columns.map((c) => `, ${c.name}`).join('')}) VALUES (${id}${values.map((v) => `, ${v}`).join('')})`, expect: { op: 'c', after: { ...row } } });
  };
  insert();
  for (let i = 0; i < options.length; i++) {
    const choice = next();
    if (choice < 0.3) insert();
    else if (choice < 0.45) {
      const key = pick([...rows.keys()]);
      const column = pick(columns);
      const v = dialect.value(column.kind, Math.floor(next() * 1000));
      const row = rows.get(key)!;
      row[column.name] = v.read;
      steps.push({ sql: `UPDATE ${table} SET ${column.name} = ${v.sql} WHERE id = ${key}`, expect: { op: 'u', after: { ...row } } });
    } else if (choice < 0.6) {
      const column = { name: `c${counter++}`, kind: pick(kinds) };
      columns.push(column);
      for (const row of rows.values()) row[column.name] = null;
      steps.push({ sql: `ALTER TABLE ${table} ADD COLUMN ${column.name} ${dialect.sqlType[column.kind]}` });
    } else if (choice < 0.7 && columns.length > 1) {
      const column = pick(columns);
      columns = columns.filter((c) => c !== column);
      for (const row of rows.values()) delete row[column.name];
      steps.push({ sql: `ALTER TABLE ${table} DROP COLUMN ${column.name}` });
    } else if (choice < 0.8) {
      const column = pick(columns);
      const name = `c${counter++}`;
      for (const row of rows.values()) {
        row[name] = row[column.name];
        delete row[column.name];
      }
      steps.push({ sql: `ALTER TABLE ${table} RENAME COLUMN ${column.name} TO ${name}` });
      column.name = name;
    } else {
      const sql = pick(dialect.extraDdl)(table, columns, pick, i);
      if (sql) steps.push({ sql });
    }
  }
  return steps;
}
