// A CDC tool as a child process of the harness: its pid is the one /proc is read for, its output goes to a
// log file, and a stop is SIGTERM (both tools finish their in-flight work on it) with SIGKILL after a grace.
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ProcessUsage, processUsage } from './process-usage.js';

/** Children still running; killed when the harness exits early (a failure, Ctrl-C) so none outlives it. */
const running = new Set<ChildProcess>();
export function killChildren(): void {
  for (const child of running) child.kill('SIGKILL');
}
/** Spawns a helper process that is killed with the harness. */
export function spawnOwned(command: string, args: string[], options: Parameters<typeof spawn>[2]): ChildProcess {
  const child = spawn(command, args, options);
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

export class CdcProcess {
  private readonly child: ChildProcess;
  private exited = false;
  readonly startedAt = Date.now();

  constructor(readonly tool: string, command: string, args: string[], logFile: string) {
    const out = openSync(logFile, 'a');
    this.child = spawnOwned(command, args, { stdio: ['ignore', out, out] });
    this.child.once('exit', () => { this.exited = true; });
  }

  get pid(): number { return this.child.pid!; }

  /** Fails the bench if the tool died on its own (a misconfiguration shows in its log). */
  assertAlive(logFile: string): void {
    if (this.exited) throw new Error(`${this.tool} exited early (exit ${this.child.exitCode}); see ${logFile}`);
  }

  usage(): ProcessUsage { return processUsage(this.pid); }

  async stop(graceMs = 60_000): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (!this.exited && Date.now() < deadline) await sleep(100);
    if (!this.exited) {
      this.child.kill('SIGKILL');
      while (!this.exited) await sleep(50);
    }
  }
}
