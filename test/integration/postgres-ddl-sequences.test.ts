import { beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { startPausableProxy } from '../helpers/pausable-proxy.js';
import { testBed } from '../helpers/test-bed.js';
import { waitFor } from '../helpers/wait.js';
import { pgTestContext, plain, startStream, waitStreaming } from './postgres-source-harness.js';

// Random sequences of column DDL and row writes on one table, read by a stream that lags behind all of them (each
// Relation message is described when the catalog already shows the last shape) or catches up from before the
// first: every row must arrive with exactly the values written, under the column names of its moment, and a DDL
// that changed no column must not make a new schema. Fixed seeds: a failure names a sequence to run again.

type Kind = 'int' | 'text' | 'numeric';
const SQL_TYPE: Record<Kind, string> = { int: 'int', text: 'text', numeric: 'numeric(8,2)' };

/** mulberry32: a small seeded generator. */
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

function valueOf(kind: Kind, n: number): { sql: string; read: unknown } {
  switch (kind) {
    case 'int':
      return { sql: String(n - 500), read: n - 500 };
    case 'text':
      return { sql: `'é€${n}'`, read: `é€${n}` };
    case 'numeric': {
      const text = `${n}.${String(n % 100).padStart(2, '0')}`;
      return { sql: text, read: text };
    }
  }
}

interface Step { sql: string; expect?: { op: 'c' | 'u'; after: Record<string, unknown> } }

function sequence(seed: number, table: string, length: number): Step[] {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  let columns: Array<{ name: string; kind: Kind }> = [{ name: 'c0', kind: 'text' }, { name: 'c1', kind: 'int' }];
  let counter = 2;
  const rows = new Map<number, Record<string, unknown>>();
  const steps: Step[] = [];
  let id = 0;
  const insert = (): void => {
    id++;
    const row: Record<string, unknown> = { id };
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
    else if (choice < 0.45) {
      const key = pick([...rows.keys()]);
      const column = pick(columns);
      const v = valueOf(column.kind, Math.floor(next() * 1000));
      const row = rows.get(key)!;
      row[column.name] = v.read;
      steps.push({ sql: `UPDATE ${table} SET ${column.name} = ${v.sql} WHERE id = ${key}`, expect: { op: 'u', after: { ...row } } });
    } else if (choice < 0.6) {
      const column = { name: `c${counter++}`, kind: pick(['int', 'text', 'numeric'] as const) };
      columns.push(column);
      for (const row of rows.values()) row[column.name] = null;
      steps.push({ sql: `ALTER TABLE ${table} ADD COLUMN ${column.name} ${SQL_TYPE[column.kind]}` });
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
    } else if (choice < 0.9) {
      // A new Relation message before the next change, columns unchanged.
      steps.push({ sql: `CREATE INDEX ON ${table} (${pick(columns).name})` });
    } else {
      const column = pick(columns);
      steps.push({ sql: `ALTER TABLE ${table} ALTER COLUMN ${column.name} SET DEFAULT ${valueOf(column.kind, i).sql}` });
    }
  }
  return steps;
}

const ctx = pgTestContext();
let sql: pg.Client;
beforeAll(() => {
  sql = ctx.sql();
});

describe('PostgreSQL: random column DDL between row writes', () => {
  it.each([
    ['lagging', 1], ['lagging', 2], ['lagging', 3],
    ['catching up', 4], ['catching up', 5], ['catching up', 6],
  ] as const)('%s, seed %i: every row arrives with the values written', async (mode, seed) => {
    // c0's NOT NULL and default are what the catalog knows only while c0 exists.
    const table = await ctx.table(`seq${seed}`, "id int PRIMARY KEY, c0 text NOT NULL DEFAULT 'x', c1 int");
    const steps = sequence(seed, table, 40);
    const expected = steps.flatMap((s) => (s.expect ? [s.expect] : []));
    const name = ctx.connectorName();
    const direct = new URL(testBed().pgUrl);
    const proxy = await startPausableProxy({ host: direct.hostname, port: Number(direct.port) });
    const proxied = new URL(direct);
    proxied.port = String(proxy.port);
    const first = startStream({ name, tables: [`public.${table}`], url: proxied.toString() });
    let stream = first;
    try {
      await waitStreaming(sql, name);
      if (mode === 'lagging') {
        await sql.query(steps[0]!.sql);
        await waitFor('the first row', () => (first.handler.changes(table).length === 1 ? true : undefined));
        proxy.hold();
      } else {
        await first.stop(); // slot and publication made: the steps below are decoded later, after all the DDL
      }
      for (const step of steps.slice(mode === 'lagging' ? 1 : 0)) await sql.query(step.sql);
      proxy.release();
      if (mode === 'catching up') stream = startStream({ name, tables: [`public.${table}`] });
      const reading = stream;
      await waitFor(`${expected.length} rows`, () => (reading.handler.changes(table).length >= expected.length || reading.error() ? true : undefined), 30_000);
    } finally {
      proxy.release();
      await stream.stop().catch(() => {});
      await proxy.close();
    }
    const script = steps.map((s) => s.sql).join(';\n');
    expect(stream.error(), script).toBeUndefined();
    const events = stream.handler.changes(table);
    expect(events.map((e) => ({ op: e.op, after: plain(e.after) })), script).toEqual(expected);
    // A new TableSchema exactly where the column names changed (no ALTER TYPE here: names tell the shapes apart).
    const names = events.map((e) => e.table.columns.map((c) => c.name).join(','));
    events.forEach((e, i) => {
      if (i > 0) expect(e.table === events[i - 1]!.table, `${script}\nrow ${i + 1}`).toBe(names[i] === names[i - 1]);
    });
  });
});
