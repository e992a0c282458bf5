import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from './free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempPostgres {
  url: string;
  stop(): void;
  /** Stops the server (fast shutdown: sessions are terminated), waits `downMs`, starts it again on the same port and data. */
  restart(downMs?: number): Promise<void>;
}


/**
 * A throwaway PostgreSQL cluster with the given settings (e.g. wal_level=replica), for tests that need a
 * server configured differently from the shared test bed. Runs as the postgres OS user when we are root.
 */
export async function startTemporaryPostgres(settings: Record<string, string>): Promise<TempPostgres> {
  const bin = execFileSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1']).toString().trim();
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'logtap-pg-'));
  const run = (cmd: string, args: string[]) => {
    const r = root ? spawnSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { encoding: 'utf8' }) : spawnSync(join(bin, cmd), args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  };
  if (root) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
  const pwFile = join(dir, 'pw');
  writeFileSync(pwFile, 'temp-pass\n');
  if (root) execFileSync('chown', ['postgres', pwFile]);
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '--pwfile', pwFile, '--auth-host=scram-sha-256', '--auth-local=trust']);
  const port = await freePort();
  const conf = { port: String(port), listen_addresses: "'127.0.0.1'", unix_socket_directories: `'${dir}'`, fsync: 'off', ...settings };
  writeFileSync(join(data, 'postgresql.auto.conf'), Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
  run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', 'start']);
  return {
    url: `postgres://postgres:temp-pass@127.0.0.1:${port}/postgres`,
    stop() {
      try { run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']); } finally { rmSync(dir, { recursive: true, force: true }); }
    },
    async restart(downMs = 0) {
      // Not spawnSync: the test's own clients keep running while the server is down.
      const pgCtl = (args: string[]) => (root
        ? promisify(execFile)('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), ...args])
        : promisify(execFile)(join(bin, 'pg_ctl'), args));
      await pgCtl(['-D', data, '-m', 'fast', '-w', 'stop']);
      await sleep(downMs);
      await pgCtl(['-D', data, '-l', join(dir, 'log'), '-w', 'start']);
    },
  };
}
