import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { ChangeEvent } from '../../src/model/change-event.js';
import type { SourceHandler } from '../../src/source/source-connector.js';
import { fromSourcePosition } from '../../connectors/postgres/pg-position.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { dropConnectorObjects } from '../helpers/pg-connector-objects.js';
import { startStream, waitStreaming } from './postgres-source-harness.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Live JavaScript heap plus Buffer memory after a full collection: what a queue without bound would grow. */
function liveBytes(): number {
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

function spilledBytes(dir: string): number {
  let total = 0;
  try {
    for (const session of readdirSync(dir)) for (const f of readdirSync(join(dir, session))) total += statSync(join(dir, session, f)).size;
  } catch {
    // a file removed meanwhile
  }
  return total;
}

const ROWS = 1_000_000;

// The PostgreSQL counterpart of mysql-source-large.test.ts: a 1M-row transaction, streamed by the server while it
// runs (streaming.workMem 1MB), spooled to disk and handed over at its commit to a slow handler. Memory stays
// flat while it is spooled and while it is handed over.
describe('PostgreSQL source: a large transaction streamed while it runs', () => {
  const sql = new pg.Client({ connectionString: testBed().pgUrl });
  const name = uniqueName('pgbig');
  const table = uniqueName('pgbig_rows');
  const spillDir = mkdtempSync(join(tmpdir(), 'logtap-spill-large-'));

  beforeAll(async () => {
    await sql.connect();
    await sql.query(`CREATE TABLE ${table} (id int PRIMARY KEY, v text NOT NULL)`);
  });

  afterAll(async () => {
    await dropConnectorObjects(sql, name);
    await sql.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await sql.end();
    rmSync(spillDir, { recursive: true, force: true });
  });

  it(`hands over a ${ROWS}-row transaction to a slow handler with bounded memory`, { timeout: 180_000 }, async () => {
    let count = 0;
    let outOfOrder = 0;
    let commits = 0;
    let lastToken = '';
    let baseline = 0;
    let peakGrowth = 0;
    let peakSpill = 0;
    const handler: SourceHandler = {
      async onChange(event: ChangeEvent) {
        count++;
        if (event.after?.id !== count || event.after.v !== `row ${count}`) outOfOrder++;
        lastToken = event.position.token;
        // Slow: every 20th change yields to the event loop, every 5000th sleeps.
        if (count % 5_000 === 0) await sleep(5);
        else if (count % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
        if (count % 50_000 === 0) peakGrowth = Math.max(peakGrowth, liveBytes() - baseline);
      },
      onCommit() {
        if (count > 0) commits++;
      },
      onHeartbeat() {},
    };
    const run = startStream({ name, tables: [`public.${table}`], handler: handler as never, streaming: { mode: 'auto', spillDir, workMem: '1MB' } });
    try {
      await waitStreaming(sql, name);
      baseline = liveBytes();
      // While the server streams the open transaction and the connector spools it.
      const sampler = setInterval(() => {
        peakSpill = Math.max(peakSpill, spilledBytes(spillDir));
        peakGrowth = Math.max(peakGrowth, liveBytes() - baseline);
      }, 1000);
      try {
        await sql.query(`INSERT INTO ${table} SELECT g, 'row ' || g FROM generate_series(1, ${ROWS}) g`);
        await waitFor('every row and the commit', () => {
          if (run.error()) throw run.error();
          return commits === 1 ? true : undefined;
        }, 150_000, 200);
      } finally {
        clearInterval(sampler);
      }
    } finally {
      await run.stop();
    }
    expect(count).toBe(ROWS);
    expect(outOfOrder).toBe(0);
    const last = fromSourcePosition({ token: lastToken, display: '' });
    expect(last).toMatchObject({ kind: 'partial', changes: ROWS });
    // It was spooled (the whole transaction is ~42 MB of pgoutput messages), not held in memory (measured: ~13 MB of growth).
    expect(peakSpill).toBeGreaterThan(30 * 1024 * 1024);
    expect(peakGrowth, `live memory grew by ${Math.round(peakGrowth / 1e6)} MB`).toBeLessThan(25 * 1024 * 1024);
  });
});
