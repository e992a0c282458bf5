import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { waitFor } from './wait.js';

export interface Daemon {
  child: ChildProcess;
  /** Everything the daemon wrote to stderr (its JSON log lines) so far. */
  log(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Writes a config file for `logtap run` and returns its path. */
export function writeConfig(config: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'logtap-e2e-'));
  const file = join(dir, 'logtap.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

/** Starts `logtap run --config <file>` as a real child process (the bin, as a user runs it). */
export function startDaemon(configFile: string, env: Record<string, string> = {}): Daemon {
  const child = spawn(process.execPath, ['bin/logtap.js', 'run', '--config', configFile], {
    env: { ...process.env, LOGTAP_LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (d) => { output += d; });
  child.stdout!.on('data', (d) => { output += d; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  return { child, log: () => output, exited };
}

/** Resolves once the daemon logs that it streams. */
export async function waitStreaming(daemon: Daemon, timeoutMs = 60_000): Promise<void> {
  await waitFor('the daemon to stream', () => {
    if (daemon.child.exitCode !== null) throw new Error(`the daemon exited (${daemon.child.exitCode}): ${daemon.log().slice(-2000)}`);
    return /"msg":"streaming"/.test(daemon.log()) ? true : undefined;
  }, timeoutMs, 100);
}

/** `logtap run` with a config expected to fail at once: its exit code and stderr. */
export async function runFailing(config: Record<string, unknown>): Promise<{ code: number; stderr: string }> {
  try {
    await promisify(execFile)(process.execPath, ['bin/logtap.js', 'run', '--config', writeConfig(config)], { timeout: 60_000, env: { ...process.env, LOGTAP_LOG_LEVEL: 'silent' } });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

/** The `logtap:` lines of a failed run's stderr: a user sees exactly these. */
export const userLines = (stderr: string): string[] => stderr.trim().split('\n').filter((l) => l.startsWith('logtap:'));

/** `err` with what the daemon said: its exit code, its `logtap:` lines and its log lines that match `logged` (the last 2500 characters). */
export function withDaemonLog(err: unknown, daemon: Daemon, logged = /"level":"error"/): Error {
  const said = daemon.log().split('\n').filter((l) => l.startsWith('logtap:') || logged.test(l)).join(' | ').slice(-2500);
  return new Error(`${(err as Error).message}; the daemon (exit code ${daemon.child.exitCode}) logged: ${said}`);
}

export interface StreamingOptions {
  /** How long the daemon may take to stream (an initial snapshot comes first). */
  streamingTimeoutMs?: number;
  /** Which of the daemon's log lines a failure quotes, beside its `logtap:` lines. */
  logged?: RegExp;
}

/**
 * Starts `logtap run --config <configFile>`, waits until it streams, runs `work` against it and stops it (SIGTERM)
 * whatever happened; a failure quotes the daemon. Returns the daemon's log as it was when `work` ended.
 */
export async function whileStreaming(configFile: string, work: (daemon: Daemon) => Promise<void>, { streamingTimeoutMs = 60_000, logged }: StreamingOptions = {}): Promise<string> {
  const daemon = startDaemon(configFile);
  try {
    await waitStreaming(daemon, streamingTimeoutMs);
    await work(daemon);
    return daemon.log();
  } catch (err) {
    throw withDaemonLog(err, daemon, logged);
  } finally {
    daemon.child.kill('SIGTERM');
    await daemon.exited;
  }
}
