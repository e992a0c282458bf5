import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type mysql from 'mysql2/promise';
import type { ChangeEvent } from '../../src/model/change-event.js';
import type { SourceHandler } from '../../src/source/source-connector.js';
import { decodeMysqlPosition } from '../../connectors/mysql/mysql-position.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { adminConnection, sourceUrl, startStream } from './mysql-source-recorder.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Live JavaScript heap plus Buffer memory after a full collection: what a queue without bound would grow. */
function liveBytes(): number {
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

const ROWS = 50_000;
const PAD = 2_000;

describe('MySQL source connector on MariaDB: a large transaction', () => {
  const database = uniqueName('mysqlbig');
  let sql: mysql.Connection;

  beforeAll(async () => {
    sql = await adminConnection();
    await sql.query(`CREATE DATABASE ${database}`);
    await sql.query(`CREATE TABLE ${database}.big (id INT PRIMARY KEY, pad VARCHAR(${PAD}) NOT NULL)`);
  });

  afterAll(async () => {
    await sql.query(`DROP DATABASE IF EXISTS ${database}`);
    await sql.end();
  });

  it(`streams a ${ROWS}-row transaction (~${(ROWS * PAD) / 1e6} MB of binlog) to a slow handler with bounded memory`, { timeout: 180_000 }, async () => {
    let count = 0;
    let outOfOrder = 0;
    let commits = 0;
    let lastToken = '';
    let peakGrowth = 0;
    let baseline = 0;
    const handler: SourceHandler = {
      async onChange(event: ChangeEvent) {
        count++;
        if (event.after?.id !== count || (event.after.pad as string).length !== PAD) outOfOrder++;
        lastToken = event.position.token;
        // Slow: every change yields to the event loop (where unbounded socket data would pile up), every 500th sleeps.
        if (count % 500 === 0) await sleep(5);
        else await new Promise((resolve) => setImmediate(resolve));
        if (count % 5_000 === 0) peakGrowth = Math.max(peakGrowth, liveBytes() - baseline);
      },
      onCommit() {
        if (count > 0) commits++;
      },
      onHeartbeat() {},
    };
    const run = await startStream({ url: sourceUrl(database), tables: [`${database}.big`], recorder: handler as never });
    try {
      baseline = liveBytes();
      await sql.query(`INSERT INTO ${database}.big SELECT seq, REPEAT('x', ${PAD}) FROM ${database}.seq_1_to_${ROWS}`);
      await waitFor('every row and the commit', () => {
        if (run.error()) throw run.error();
        return commits === 1 ? true : undefined;
      }, 150_000, 200);
    } finally {
      await run.stop();
    }
    expect(run.error()).toBeUndefined();
    expect(count).toBe(ROWS);
    expect(outOfOrder).toBe(0);
    expect(decodeMysqlPosition(lastToken)).toMatchObject({ inTransaction: { published: ROWS } });
    // Unbounded buffering would hold most of the ~100 MB transaction; the queue holds 1000 rows (~2 MB).
    expect(peakGrowth).toBeLessThan(40 * 1024 * 1024);
  });
});
