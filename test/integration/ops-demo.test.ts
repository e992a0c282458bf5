import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildProcess, spawn } from 'node:child_process';
import pg from 'pg';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { connectorObjectPattern } from '../helpers/pg-connector-objects.js';

// `logtap demo` in a pseudo-terminal (util-linux `script`), as a newcomer runs it: events appear within
// 60 s of the start on a warm machine; Ctrl-C stops everything cleanly; a full run ends with the tables
// rebuilt by replay and verified equal.

const bed = testBed();
const sql = new pg.Client({ connectionString: bed.pgUrl });
const schemas: string[] = [];
beforeAll(() => sql.connect());
afterAll(async () => {
  for (const s of schemas) {
    await sql.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => {});
    await sql.query(`DROP DATABASE IF EXISTS ${s}_replica WITH (FORCE)`).catch(() => {});
  }
  await sql.end();
});

interface Terminal {
  child: ChildProcess;
  /** What the terminal showed so far, without colours. */
  screen(): string;
  exited: Promise<number | null>;
}

/** Runs `logtap demo …` with a pseudo-terminal as its controlling terminal; typing goes through `child.stdin`. */
function inTerminal(args: string[], command = [process.execPath, 'bin/logtap.js', 'demo']): Terminal {
  // `exec`: script runs the command through $SHELL -c, and a shell that stays (dash does) would itself die of
  // the Ctrl-C and report 130 whatever the demo returned.
  const line = `exec ${[...command, ...args].map((a) => `'${a}'`).join(' ')}`;
  const child = spawn('script', ['-qfec', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm' } });
  let output = '';
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output += d; });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  // eslint-disable-next-line no-control-regex
  return { child, screen: () => output.replace(/\x1b\[[0-9;]*m/g, ''), exited };
}

describe('logtap demo in a terminal', () => {
  it('shows decoded events from Kafka within 60 s, and Ctrl-C stops the daemon and drops its slot', async () => {
    const schema = uniqueName('ops_demo');
    schemas.push(schema);
    const term = inTerminal(['--steps', '500', '--schema', schema]);
    try {
      const started = Date.now();
      await waitFor('an event from Kafka on the screen', () => {
        if (term.child.exitCode !== null) throw new Error(`the demo exited: ${term.screen()}`);
        return new RegExp(`Kafka +${schema}\\.orders +insert +\\{"id":1,`).test(term.screen()) ? true : undefined;
      }, 60_000, 100);
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(term.screen()).toMatch(new RegExp(`Kafka +${schema}\\.customers +insert +\\{"id":1,"name":"ada","email":null\\}`));
      const connector = /connector (demo-[a-z0-9]+)/.exec(term.screen())![1]!;

      term.child.stdin!.write('\x03');
      expect(await term.exited, term.screen()).toBe(0);
      expect(term.screen()).toMatch(/stopping \(Ctrl-C\)/);
      expect(term.screen()).toMatch(/stopped\./);
      const { rowCount } = await sql.query('SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE $1', [connectorObjectPattern(connector)]);
      expect(rowCount).toBe(0);
    } finally {
      term.child.kill('SIGKILL');
    }
  }, 180_000);

  it('`npm run demo`, exactly as the README shows it, runs to its end and shows the tables rebuilt by replay, verified equal', async () => {
    // The default workload: 5 customers, orders 1–11, orders 1 and 7 shipped (order 4 was cancelled before its
    // turn to ship: that UPDATE changes no row), orders 4 and 9 cancelled, ada's email set — 21 row changes.
    const schema = 'logtap_demo';
    schemas.push(schema);
    const term = inTerminal([], ['npm', 'run', 'demo']);
    try {
      expect(await term.exited, term.screen()).toBe(0);
      const screen = term.screen();
      expect(screen).toMatch(/all 21 changes arrived/);
      expect(screen).toMatch(new RegExp(`Kafka +${schema}\\.orders +delete +key \\{"id":4\\}`));
      expect(screen).not.toMatch(/order 4 shipped/);
      expect(screen).toMatch(new RegExp(`equal ${schema}\\.customers: source 5 rows`));
      expect(screen).toMatch(new RegExp(`equal ${schema}\\.orders: source 9 rows`));
      expect(screen).toMatch(/\{"id":1,"customer_id":2,"total":"7\.25","status":"shipped"/);
      expect(screen).toMatch(/done\./);
    } finally {
      term.child.kill('SIGKILL');
    }
  }, 240_000);
});
