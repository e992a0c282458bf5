import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type mysql from 'mysql2/promise';
import { ddlSequence, type SequenceDialect } from '../helpers/ddl-sequence.js';
import { uniqueName } from '../helpers/names.js';
import { startPausableProxy } from '../helpers/pausable-proxy.js';
import { waitFor } from '../helpers/wait.js';
import { adminConnection, currentGtidToken, sourceUrl, startStream } from './mysql-source-recorder.js';

// Random sequences of column DDL and row writes on one table, read by a stream that lags behind all of them (every
// DDL is read when INFORMATION_SCHEMA already shows the last shape) or catches up from before the first: every
// row must arrive with exactly the values written, under the column names of its moment. The seeds are fixed, so a
// failure names a sequence that can be run again.

type Kind = 'int' | 'utf8' | 'latin1' | 'decimal';

const MARIADB: SequenceDialect<Kind> = {
  sqlType: {
    int: 'INT',
    utf8: 'VARCHAR(20) CHARACTER SET utf8mb4',
    latin1: 'VARCHAR(20) CHARACTER SET latin1',
    decimal: 'DECIMAL(8,2)',
  },
  value(kind, n) {
    switch (kind) {
      case 'int':
        return { sql: String(n - 500), read: n - 500 };
      case 'utf8':
      case 'latin1':
        return { sql: `'é€${n}'`, read: `é€${n}` }; // in latin1 (cp1252) and in utf8mb4, in other bytes
      case 'decimal': {
        const text = `${n}.${String(n % 100).padStart(2, '0')}`;
        return { sql: text, read: text };
      }
    }
  },
  extraDdl: [
    (table, columns, pick) => {
      const texts = columns.filter((c) => c.kind === 'utf8' || c.kind === 'latin1');
      if (texts.length === 0) return undefined;
      const column = pick(texts);
      column.kind = column.kind === 'utf8' ? 'latin1' : 'utf8';
      return `ALTER TABLE ${table} MODIFY ${column.name} ${MARIADB.sqlType[column.kind]}`;
    },
    (table, _columns, _pick, step) => `ALTER TABLE ${table} COMMENT '${step}'`,
  ],
};

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
    // g (never written, NULL) shifts MariaDB's charset list against zongji's unpatched reading of it.
    await sql.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, c0 ${MARIADB.sqlType.utf8}${geometry ? ', g POINT' : ''}, c1 INT)`);
    const steps = ddlSequence({
      seed, table, length: 40, dialect: MARIADB, columns: [{ name: 'c0', kind: 'utf8' }, { name: 'c1', kind: 'int' }], fixed: geometry ? { g: null } : {},
    });
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
