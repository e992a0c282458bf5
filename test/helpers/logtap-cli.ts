import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** How a logtap command ended: its exit code (-1 when it did not exit by itself, e.g. killed at the timeout) and its output. */
export interface CliResult { code: number; stdout: string; stderr: string }

export interface CliOptions {
  /** Killed after this long. */
  timeoutMs?: number;
  /** LOGTAP_LOG_LEVEL of the command. */
  logLevel?: string;
  /** More environment variables. */
  env?: Record<string, string>;
  /** The working directory (the bin is found from the repository's root either way). */
  cwd?: string;
}

/** Runs `logtap <args>` (the bin, as a user runs it) to its end; a failing command resolves too, with its exit code. */
export function runLogtap(args: string[], { timeoutMs = 180_000, logLevel = 'warn', env = {}, cwd }: CliOptions = {}): Promise<CliResult> {
  return new Promise((done) => {
    execFile(process.execPath, [join(process.cwd(), 'bin/logtap.js'), ...args], { timeout: timeoutMs, env: { ...process.env, LOGTAP_LOG_LEVEL: logLevel, ...env }, ...(cwd ? { cwd } : {}) }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}
