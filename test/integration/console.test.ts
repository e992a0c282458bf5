import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { type Browser, type Page, chromium } from 'playwright-core';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { freePort } from '../helpers/free-port.js';
import { type Daemon, startDaemon, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { dropConnectorObjects } from '../helpers/pg-connector-objects.js';

/*
 * The daemon's web console in a real browser (Debian's chromium driven by playwright-core): the pages load against a
 * running `logtap run` on the test bed, the charts move while a workload runs, a backfill started from the button
 * completes, the token is enforced, nothing secret is rendered, and a screenshot of each page is written to
 * test-output/console/.
 */

const bed = testBed();
const sql = new pg.Client({ connectionString: bed.pgUrl });
const name = uniqueName('console');
const prefix = uniqueName('con');
const table = uniqueName('orders');
const token = 'console-token-0123456789';
const shots = join(process.cwd(), 'test-output', 'console');
let daemon: Daemon;
let browser: Browser;
let base = '';

async function screenshot(page: Page, file: string): Promise<void> {
  await page.screenshot({ path: join(shots, file), fullPage: true });
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  await sql.connect();
  await sql.query(`CREATE TABLE public.${table} (id int PRIMARY KEY, item text NOT NULL, amount numeric(10,2))`);
  await sql.query(`INSERT INTO public.${table} SELECT i, 'item ' || i, i * 1.5 FROM generate_series(1, 50) i`);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const config = writeConfig({
    name, source: { url: bed.pgUrl, tables: [`public.${table}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix,
    signal: { enabled: true }, http: { port, token },
  });
  daemon = startDaemon(config);
  await waitStreaming(daemon, 120_000);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  daemon?.child.kill('SIGTERM');
  await daemon?.exited;
  await dropConnectorObjects(sql, name).catch(() => {});
  await sql.query(`DROP TABLE IF EXISTS public.${table}, public.logtap_signal`).catch(() => {});
  await sql.end();
});

describe('the web console', () => {
  it('overview: connector, state, checkpoint, and charts that move while a workload runs; no secret rendered', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    await expect.poll(() => page.textContent('#phase'), { timeout: 30_000 }).toBe('streaming');
    const html = await page.content();
    expect(html).toContain(name);
    expect(html).not.toContain(new URL(bed.pgUrl).password);
    expect(html).not.toContain(token);

    const before = await page.getAttribute('#events polyline', 'points');
    let workload = true;
    const writes = (async () => {
      for (let i = 1000; workload && i < 1400; i++) {
        await sql.query(`INSERT INTO public.${table} VALUES ($1, 'live', 1)`, [i]);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      await expect.poll(async () => Number(await page.textContent('#events-now')), { timeout: 60_000, interval: 1000 }).toBeGreaterThan(0);
      await expect.poll(() => page.getAttribute('#events polyline', 'points'), { timeout: 30_000, interval: 1000 }).not.toBe(before);
    } finally {
      workload = false;
      await writes;
    }
    await expect.poll(() => page.textContent('#checkpoint'), { timeout: 30_000 }).toMatch(/[0-9A-F]+\/[0-9A-F]+/);
    await screenshot(page, 'overview.png');
    await page.close();
  }, 180_000);

  it('tables: events and schema version per table; the backfill button needs the token, then the backfill completes', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/tables`);
    const row = page.locator(`tr[data-table="public.${table}"]`);
    await expect.poll(async () => Number(await row.locator('td.events').textContent()), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await row.textContent()).toContain('v1');

    await page.fill('#token', 'not-the-token-at-all');
    await row.locator('button.backfill').click();
    await expect.poll(() => page.textContent('#action-result'), { timeout: 10_000 }).toMatch(/^refused: a valid bearer token/);

    await page.fill('#token', token);
    await row.locator('button.backfill').click();
    await expect.poll(() => page.textContent('#action-result'), { timeout: 30_000 }).toMatch(/^requested: backfill /);
    // The page reloads itself every 5 s; the backfill's state comes from the daemon's checkpoints.
    await expect.poll(async () => page.locator(`tr[data-table="public.${table}"] td.backfill-state`).textContent(), { timeout: 120_000, interval: 1000 }).toMatch(/^done/);
    await screenshot(page, 'tables.png');
    await page.close();
  }, 240_000);

  it('one table: its schema versions with the diff, and the table rebuilt from its topic beside the source, equal', async () => {
    await sql.query(`ALTER TABLE public.${table} ADD COLUMN note text`);
    await sql.query(`UPDATE public.${table} SET note = 'after ALTER' WHERE id = 1`);
    const page = await browser.newPage();
    await expect.poll(async () => {
      await page.goto(`${base}/tables/public.${table}`);
      return page.textContent('#versions + table');
    }, { timeout: 60_000, interval: 2000 }).toMatch(/v2.*note\s*added/s);
    await expect.poll(async () => {
      await page.goto(`${base}/tables/public.${table}`);
      return page.textContent('#duality-summary');
    }, { timeout: 60_000, interval: 2000 }).toMatch(/equal/);
    const topicRow = page.locator('#duality tr.topic').first();
    expect(await topicRow.textContent()).toContain('after ALTER');
    expect(await page.locator('#duality td.diff').count()).toBe(0);
    await screenshot(page, 'table.png');
    await page.close();
  }, 180_000);

  it('actions: refused without a valid token (401); only POST', async () => {
    const refused = await fetch(`${base}/api/backfill`, { method: 'POST', body: JSON.stringify({ table: `public.${table}` }) });
    expect(refused.status).toBe(401);
    const wrong = await fetch(`${base}/api/backfill`, { method: 'POST', headers: { authorization: 'Bearer nope' }, body: JSON.stringify({ table: `public.${table}` }) });
    expect(wrong.status).toBe(401);
    const get = await fetch(`${base}/api/backfill`);
    expect(get.status).toBe(405);
  });
});
