#!/usr/bin/env node
// The PostgreSQL version matrix: for each major, starts a server of that version on its own port and data
// directory (next to the shared test bed, whose Kafka, MariaDB and registry the suites keep using), runs the
// PostgreSQL connector, snapshot, backfill and replay suites against it, stops it, and prints a table.
// Usage: node scripts/pg-matrix.mjs [--versions 14,16,17,18] [suite files…]  (default: every version, PG_MATRIX_SUITES)
//   LOGTAP_PG_MATRIX_DIR  where the servers' data directories go (default: the OS temp dir)
//   LOGTAP_PG_MATRIX_PORT first port to use (version N uses it + N; default: a free port the OS picks, per version)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PG_VERSIONS, SetupError, allRunning, pgServer } from './services.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The suites about the connector, the snapshot, the backfill and replay: a few minutes per version. */
export const PG_MATRIX_SUITES = [
  'test/integration/postgres-source.test.ts',
  'test/integration/postgres-ddl-sequences.test.ts',
  'test/integration/postgres-source-resume.test.ts',
  'test/integration/postgres-types.test.ts',
  'test/integration/generated-columns-postgres.test.ts',
  'test/integration/snapshot-postgres.test.ts',
  'test/integration/backfill-postgres.test.ts',
  'test/integration/replay-postgres.test.ts',
  'test/integration/replay-definition-postgres.test.ts',
];

function parseArgs(argv) {
  const options = { versions: [...PG_VERSIONS], suites: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--versions') {
      options.versions = (argv[++i] ?? '').split(',').filter(Boolean);
    } else if (arg.startsWith('--versions=')) {
      options.versions = arg.slice('--versions='.length).split(',').filter(Boolean);
    } else if (arg.startsWith('-')) {
      throw new SetupError(`unknown option ${arg}: usage: node scripts/pg-matrix.mjs [--versions 14,16,17,18] [suite files…]`);
    } else {
      options.suites.push(arg);
    }
  }
  for (const v of options.versions) {
    if (!PG_VERSIONS.includes(v)) throw new SetupError(`--versions names ${v}: use some of ${PG_VERSIONS.join(',')}`);
  }
  if (options.suites.length === 0) options.suites = PG_MATRIX_SUITES;
  for (const s of options.suites) {
    if (!existsSync(join(root, s))) throw new SetupError(`suite ${s} does not exist (paths are relative to ${root})`);
  }
  return options;
}

/** Runs vitest on the suites with the PostgreSQL URL pointed at `pgUrl`; per-file counts from its JSON report. */
function runSuites(suites, pgUrl, reportFile) {
  return new Promise((done) => {
    const child = spawn('npx', ['vitest', 'run', '--project', 'integration', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`, ...suites], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, LOGTAP_TEST_PG_URL: pgUrl },
    });
    child.once('close', (code) => {
      const perFile = new Map(suites.map((s) => [s, { passed: 0, failed: 0, skipped: 0, seconds: 0 }]));
      if (existsSync(reportFile)) {
        const report = JSON.parse(readFileSync(reportFile, 'utf8'));
        for (const file of report.testResults ?? []) {
          const key = suites.find((s) => file.name.endsWith(s)) ?? file.name;
          const counts = perFile.get(key) ?? { passed: 0, failed: 0, skipped: 0, seconds: 0 };
          for (const t of file.assertionResults ?? []) {
            if (t.status === 'passed') counts.passed++;
            else if (t.status === 'failed') counts.failed++;
            else counts.skipped++;
          }
          // A file that failed to load has no tests: count it as one failure.
          if ((file.assertionResults ?? []).length === 0 && file.status === 'failed') counts.failed++;
          counts.seconds = ((file.endTime ?? 0) - (file.startTime ?? 0)) / 1000;
          perFile.set(key, counts);
        }
      }
      done({ code, perFile });
    });
  });
}

/** A port nothing listens on now (a fixed one in the ephemeral range may be some client's). */
function freePort() {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
  });
}

function printTable(results, suites) {
  const name = (s) => s.replace(/^test\/integration\//, '').replace(/\.test\.ts$/, '');
  const cell = (c) => (c ? `${c.passed}✓ ${c.failed}✗${c.skipped ? ` ${c.skipped}s` : ''} ${Math.round(c.seconds)}s` : '-');
  const header = ['suite', ...results.map((r) => `PG ${r.version}`)];
  const rows = suites.map((s) => [name(s), ...results.map((r) => cell(r.perFile?.get(s)))]);
  rows.push(['total time', ...results.map((r) => (r.error ? `error: ${r.error}` : `${Math.round(r.seconds)}s`))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(['', line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n'));
  console.log('\n✓ passed, ✗ failed, s skipped (a skip is a test that does not apply to that version, never a pass)');
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (!(await allRunning())) throw new SetupError('the test bed is not running: start it with `npm run services:up` (the matrix reuses its Kafka, MariaDB and registry)');
  const base = resolve(process.env.LOGTAP_PG_MATRIX_DIR ?? tmpdir());
  mkdirSync(base, { recursive: true });
  const firstPort = process.env.LOGTAP_PG_MATRIX_PORT ? Number(process.env.LOGTAP_PG_MATRIX_PORT) : undefined;
  const results = [];
  let stopping = false;
  let current = null;
  const onSignal = async () => {
    stopping = true;
    if (current) {
      await current.server.down().catch(() => {});
      rmSync(current.dir, { recursive: true, force: true });
    }
    if (results.length > 0) printTable(results, options.suites);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  for (const version of options.versions) {
    if (stopping) break;
    const dir = mkdtempSync(join(base, `logtap-pg${version}-`));
    const port = firstPort === undefined ? await freePort() : firstPort + Number(version);
    const server = pgServer({ dir, port, version });
    const t0 = Date.now();
    const result = { version };
    current = { server, dir };
    try {
      process.stderr.write(`pg-matrix: PostgreSQL ${version}: starting on port ${port}\n`);
      await server.up();
      const { code, perFile } = await runSuites(options.suites, server.url, join(dir, 'report.json'));
      Object.assign(result, { code, perFile });
    } catch (err) {
      result.error = err instanceof SetupError ? err.message : String(err);
    } finally {
      await server.down().catch(() => {});
      current = null;
      rmSync(dir, { recursive: true, force: true });
      result.seconds = (Date.now() - t0) / 1000;
      results.push(result);
    }
  }
  printTable(results, options.suites);
  const failed = results.some((r) => r.error || r.code !== 0);
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await main();
  } catch (err) {
    console.error(`pg-matrix: ${err instanceof SetupError ? err.message : err.stack}`);
    process.exitCode = 2;
  }
}
