import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type mysql from 'mysql2/promise';
import { uniqueName } from '../helpers/names.js';
import { startPausableProxy } from '../helpers/pausable-proxy.js';
import { waitFor } from '../helpers/wait.js';
import { adminConnection, currentGtidToken, sourceUrl, startStream } from './mysql-source-recorder.js';

// Random sequences of column DDL and row writes on one table, read by a stream that lags behind all of them (every
// DDL is read when INFORMATION_SCHEMA already shows the last shape) or catches up from before the first: every
// row must arrive with exactly the values written, under the column names of its moment. The seeds are fixed, so a
// failure names a sequence that can be run again.

type Kind = 'int' | 'utf8' | 'latin1' | 'decimal';
interface Col { name: string; kind: Kind }

const SQL_TYPE: Record<Kind, string> = {
  int: 'INT',
  utf8: 'VARCHAR(20) CHARACTER SET utf8mb4',
  latin1: 'VARCHAR(20) CHARACTER SET latin1',
  decimal: 'DECIMAL(8,2)',
};

/** mulberry32: a small seeded generator, so a failing sequence can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A value of the kind, as written (SQL literal) and as logtap hands it over. */
function valueOf(kind: Kind, n: number): { sql: string; read: unknown } {
  switch (kind) {
    case 'int':
      return { sql: String(n - 500), read: n - 500 };
    case 'utf8':
    case 'latin1': {
      const text = `é€${n}`; // both in latin1 (cp1252) and in utf8mb4, 2-3 bytes apart
      return { sql: `'${text}'`, read: text };
    }
    case 'decimal': {
      const text = `${n}.${String(n % 100).padStart(2, '0')}`;
      return { sql: text, read: text };
    }
  }
}

interface Step { sql: string; expect?: { op: 'c' | 'u'; after: Record<string, unknown> } }

function sequence(seed: number, table: string, length: number, geometry: boolean): Step[] {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  let columns: Col[] = [{ name: 'c0', kind: 'utf8' }, { name: 'c1', kind: 'int' }];
  let counter = 2;
  const rows = new Map<number, Record<string, unknown>>();
  const steps: Step[] = [];
  let id = 0;
  const insert = (): void => {
    id++;
    // g (never written) stays NULL: it is there to shift MariaDB's charset list against zongji's reading of it.
    const row: Record<string, unknown> = geometry ? { id, g: null } : { id };
    const values = columns.map((c) => {
      const v = valueOf(c.kind, Math.floor(next() * 1000));
      row[c.name] = v.read;
      return v.sql;
    });
    rows.set(id, row);
    steps.push({ sql: `INSERT INTO ${table} (id${columns.map((c) => `, ${c.name}`).join('')}) VALUES (${id}${values.map((v) => `, ${v}`).join('')})`, expect: { op: 'c', after: { ...row } } });
  };
  insert();
  for (let i = 0; i < length; i++) {
    const choice = next();
    if (choice < 0.3) insert();
    else if (choice < 0.45 && rows.size > 0) {
      const key = pick([...rows.keys()]);
      const column = pick(columns);
      const v = valueOf(column.kind, Math.floor(next() * 1000));
      const row = rows.get(key)!;
      row[column.name] = v.read;
      steps.push({ sql: `UPDATE ${table} SET ${column.name} = ${v.sql} WHERE id = ${key}`, expect: { op: 'u', after: { ...row } } });
    } else if (choice < 0.6) {
      const column: Col = { name: `c${counter++}`, kind: pick(['int', 'utf8', 'latin1', 'decimal'] as const) };
      columns.push(column);
      for (const row of rows.values()) row[column.name] = null;
      steps.push({ sql: `ALTER TABLE ${table} ADD COLUMN ${column.name} ${SQL_TYPE[column.kind]}` });
    } else if (choice < 0.7 && columns.length > 1) {
      const column = pick(columns);
      columns = columns.filter((c) => c !== column);
      for (const row of rows.values()) delete row[column.name];
      steps.push({ sql: `ALTER TABLE ${table} DROP COLUMN ${column.name}` });
    } else if (choice < 0.8) {
      const texts = columns.filter((c) => c.kind === 'utf8' || c.kind === 'latin1');
      if (texts.length === 0) continue;
      const column = pick(texts);
      column.kind = column.kind === 'utf8' ? 'latin1' : 'utf8';
      steps.push({ sql: `ALTER TABLE ${table} MODIFY ${column.name} ${SQL_TYPE[column.kind]}` });
    } else if (choice < 0.9) {
      const column = pick(columns);
      const name = `c${counter++}`;
      for (const row of rows.values()) {
        row[name] = row[column.name];
        delete row[column.name];
      }
      steps.push({ sql: `ALTER TABLE ${table} RENAME COLUMN ${column.name} TO ${name}` });
      column.name = name;
    } else {
      steps.push({ sql: `ALTER TABLE ${table} COMMENT '${i}'` });
    }
  }
  return steps;
}

describe('MariaDB: random column DDL between row writes', () => {
  const database = uniqueName('ddlseq');
  let sql: mysql.Connection;

  beforeAll(async () => {
    sql = await adminConnection();
    await sql.query(`CREATE DATABASE ${database}`);
  });

  afterAll(async () => {
    await sql.query(`DROP DATABASE IF EXISTS ${database}`);
    await sql.end();
  });

  // Odd seeds have a GEOMETRY column before the text columns the sequence adds.
  it.each([
    ['lagging', 1], ['lagging', 2], ['lagging', 3],
    ['catching up', 4], ['catching up', 5], ['catching up', 6],
  ] as const)('%s, seed %i: every row arrives with the values written', async (mode, seed) => {
    const name = `seq_${seed}`;
    const table = `${database}.${name}`;
    const geometry = seed % 2 === 1;
    await sql.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, c0 ${SQL_TYPE.utf8}${geometry ? ', g POINT' : ''}, c1 INT)`);
    const steps = sequence(seed, table, 40, geometry);
    const expected = steps.flatMap((s) => (s.expect ? [s.expect] : []));

    const direct = new URL(sourceUrl(database));
    const proxy = await startPausableProxy({ host: direct.hostname, port: Number(direct.port) });
    const proxied = new URL(direct);
    proxied.port = String(proxy.port);
    const from = mode === 'catching up' ? await currentGtidToken(sql) : undefined;
    const run = mode === 'lagging' ? await startStream({ url: proxied.toString(), tables: [table] }) : undefined;
    let catchUp: Awaited<ReturnType<typeof startStream>> | undefined;
    try {
      if (run) {
        await sql.query(steps[0]!.sql);
        await waitFor('the first row', () => (run.recorder.changesOf(name).length === 1 ? true : undefined));
        proxy.hold();
      }
      for (const step of steps.slice(run ? 1 : 0)) await sql.query(step.sql);
      proxy.release();
      catchUp = run ?? await startStream({ url: direct.toString(), tables: [table], from });
      const stream = catchUp;
      await waitFor(`${expected.length} rows`, () => (stream.recorder.changesOf(name).length >= expected.length || stream.error() ? true : undefined));
    } finally {
      proxy.release();
      await catchUp?.stop();
      if (run && run !== catchUp) await run.stop();
      await proxy.close();
    }
    expect(catchUp!.error(), steps.map((s) => s.sql).join(';\n')).toBeUndefined();
    const got = catchUp!.recorder.changesOf(name).map((e) => ({ op: e.op, after: e.after }));
    expect(got, steps.map((s) => s.sql).join(';\n')).toEqual(expected);
  });
});
