import { execFile, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { freePort } from './free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait.js';

export interface TempMariadb {
  url: string;
  stop(): Promise<void>;
  /** Stops the server (SIGTERM, clean shutdown), waits `downMs`, starts it again on the same port and data. */
  restart(downMs?: number): Promise<void>;
}


/** A throwaway MariaDB with the given server options (e.g. --binlog-format=STATEMENT), for tests only. */
export async function startTemporaryMariadb(options: string[]): Promise<TempMariadb> {
  const root = process.getuid?.() === 0;
  const user = root ? 'mysql' : process.env.USER ?? 'nobody';
  const dir = mkdtempSync(join(tmpdir(), 'logtap-mariadb-'));
  if (root) {
    const id = (flag: string) => Number(spawnSync('id', [flag, 'mysql'], { encoding: 'utf8' }).stdout);
    chownSync(dir, id('-u'), id('-g'));
  }
  const data = join(dir, 'data');
  const install = spawnSync('mariadb-install-db', ['--no-defaults', `--user=${user}`, `--datadir=${data}`, '--auth-root-authentication-method=socket', '--skip-test-db'], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr}`);
  const port = await freePort();
  const socket = join(dir, 'sock');
  const launch = () => spawn('mariadbd', ['--no-defaults', `--user=${user}`, `--datadir=${data}`, `--socket=${socket}`, `--port=${port}`, '--bind-address=127.0.0.1', '--skip-name-resolve', `--pid-file=${join(dir, 'pid')}`, '--server-id=7', ...options], { stdio: 'ignore' });
  let server = launch();
  const client = (q: string) => spawnSync('mariadb', ['--no-defaults', `--socket=${socket}`, '-u', 'root', '-e', q], { encoding: 'utf8' });
  // Async probe: the test's own clients keep running while the server starts.
  const ready = () => waitFor('the temporary MariaDB', async () => ((await promisify(execFile)('mariadb', ['--no-defaults', `--socket=${socket}`, '-u', 'root', '-e', 'SELECT 1']).then(() => true, () => false)) ? true : undefined), 60_000, 200);
  await ready();
  const r = client("CREATE USER 'root'@'127.0.0.1' IDENTIFIED BY 'temp-pass'; GRANT ALL ON *.* TO 'root'@'127.0.0.1'; CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY)");
  if (r.status !== 0) throw new Error(`setting up the temporary MariaDB failed: ${r.stderr}`);
  return {
    url: `mysql://root:temp-pass@127.0.0.1:${port}/app`,
    async stop() {
      if (server.exitCode === null && server.signalCode === null) {
        server.kill('SIGTERM');
        await new Promise((done) => server.once('exit', done));
      }
      rmSync(dir, { recursive: true, force: true });
    },
    async restart(downMs = 0) {
      const exited = new Promise((done) => server.once('exit', done));
      server.kill('SIGTERM');
      await exited;
      await sleep(downMs);
      server = launch();
      await ready();
    },
  };
}
