import { beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { ddlSequence, type SequenceDialect } from '../helpers/ddl-sequence.js';
import { startPausableProxy } from '../helpers/pausable-proxy.js';
import { testBed } from '../helpers/test-bed.js';
import { waitFor } from '../helpers/wait.js';
import { pgTestContext, plain, startStream, waitStreaming } from './postgres-source-harness.js';

// Random sequences of column DDL and row writes on one table, read by a stream that lags behind all of them (each
// Relation message is described when the catalog already shows the last shape) or catches up from before the
// first: every row must arrive with exactly the values written, under the column names of its moment, and a DDL
// that changed no column must not make a new schema. Fixed seeds: a failure names a sequence to run again.

type Kind = 'int' | 'text' | 'numeric';

const POSTGRES: SequenceDialect<Kind> = {
  sqlType: { int: 'int', text: 'text', numeric: 'numeric(8,2)' },
  value(kind, n) {
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
  },
  extraDdl: [
    // A new Relation message before the next change, columns unchanged.
    (table, columns, pick) => `CREATE INDEX ON ${table} (${pick(columns).name})`,
    (table, columns, pick, step) => {
      const column = pick(columns);
      return `ALTER TABLE ${table} ALTER COLUMN ${column.name} SET DEFAULT ${POSTGRES.value(column.kind, step).sql}`;
    },
  ],
};

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
    const steps = ddlSequence({ seed, table, length: 40, dialect: POSTGRES, columns: [{ name: 'c0', kind: 'text' }, { name: 'c1', kind: 'int' }] });
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
