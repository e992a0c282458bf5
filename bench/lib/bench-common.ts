import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { LogtapConfig } from '../../src/config/config-schema.js';
import type { Admin, Kafka } from 'kafkajs';
import { packageRoot } from '../../src/package-root.js';
import { silentLogger } from '../../src/logger.js';
import { runConnector } from '../../src/pipeline/runner.js';
import type { PipelineMetrics } from '../../src/pipeline/pipeline-metrics.js';
import type { ConnectorFactory } from '../../src/source/source-connector.js';

/** `--name N` from the command line, or the fallback. */
export const numberArg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};

/** `--name 0,1,2` from the command line as numbers, or the fallback. */
export const numberListArg = (name: string, fallback: number[]): number[] => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1]!.split(',').map(Number);
};

/** The peak RSS of this process (logtap and its worker threads) between start() and stop(), sampled every 20 ms. */
export function rssPeak(): { stop: () => number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 20);
  return { stop: () => { clearInterval(timer); return Math.max(peak, process.memoryUsage.rss()); } };
}

/** `--name value` among `choices`, or `fallback`; anything else stops the bench with one line. */
export const choiceArg = <T extends string>(name: string, choices: readonly T[], fallback: T): T => {
  const at = process.argv.indexOf(`--${name}`);
  if (at === -1) return fallback;
  const value = process.argv[at + 1] as T;
  if (!choices.includes(value)) {
    console.error(`--${name} takes one of ${choices.join(', ')}`);
    process.exit(2);
  }
  return value;
};

/** Starts the test bed (found from the package root, so the compiled benches in dist-bench/ find it too). */
export async function testBedUp() {
  return (await testBedScripts()).up();
}

/** scripts/services.mjs, found from the package root (a relative import would miss it from dist-bench/). */
export const testBedScripts = async () => (await import(pathToFileURL(join(packageRoot(), 'scripts', 'services.mjs')).href)) as typeof import('../../scripts/services.mjs');

/** Runs logtap in this process until `until` resolves (it gets a promise of streaming having begun). */
export async function runLogtapUntil(
  config: LogtapConfig, kafka: Kafka, createConnector: ConnectorFactory, until: (streaming: Promise<void>) => Promise<void>, metrics?: PipelineMetrics,
): Promise<void> {
  const stop = new AbortController();
  let streaming!: () => void;
  const streamingNow = new Promise<void>((r) => { streaming = r; });
  const run = runConnector(config, {
    kafka, createConnector, log: silentLogger, version: 'bench', ...(metrics ? { metrics } : {}),
    onState: (s) => { if (s === 'streaming') streaming(); },
  }, stop.signal);
  await until(streamingNow);
  stop.abort();
  await run;
}

/**
 * Runs a load generator without blocking this process's event loop: logtap runs in this process, so a
 * synchronous child would stop it for the whole workload (and inflate every latency).
 */
export async function runProcess(command: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  await promisify(execFile)(command, args, { maxBuffer: 1 << 26, env: { ...process.env, ...env } });
}

/**
 * CPU seconds from a /proc stat file (clock ticks of 100 Hz, Linux's USER_HZ): utime + stime, or with `reaped`
 * cutime + cstime, the CPU of the children the process has waited for.
 */
function statCpuSeconds(path: string, reaped = false): number {
  const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' '); // fields[0] is field 3 of proc(5)
  const at = reaped ? 13 : 11;
  return (Number(fields[at]) + Number(fields[at + 1])) / 100;
}

/** CPU seconds a process (all its threads) has used so far. */
export const cpuSecondsOf = (pid: number): number => statCpuSeconds(`/proc/${pid}/stat`);

/**
 * CPU seconds of the children a process has waited for so far: for this process, what a `spawnSync` reader used;
 * for a PostgreSQL postmaster (the first line of `<data_directory>/postmaster.pid`), its backends that have exited,
 * such as a walsender once its replication session ended.
 */
export const reapedCpuSecondsOf = (pid: number): number => statCpuSeconds(`/proc/${pid}/stat`, true);

/** CPU seconds this process's main thread (the one running JavaScript) has used so far: `process.cpuUsage` adds V8's helper threads. */
export const mainThreadCpuSeconds = (): number => statCpuSeconds(`/proc/self/task/${process.pid}/stat`);

/**
 * What a catch-up target of `ratio` × the raw reader's rate leaves logtap, on this machine's cores: the whole path
 * (logtap, the source server's side, the broker) shares `cores`, and logtap's main thread is one of them.
 */
export function catchUpBudget(rawRate: number, ratio: number, others: number): string {
  const cores = availableParallelism();
  const perEvent = 1e6 / (ratio * rawRate);
  return `at ${ratio}× the raw reader (${Math.round(ratio * rawRate).toLocaleString('en-US')} events/s) ${cores} cores give the whole path ${(cores * perEvent).toFixed(1)} µs of CPU per event: `
    + `logtap's share ≤ ${(cores * perEvent - others).toFixed(1)} µs beside the server's and broker's ${others.toFixed(1)} µs, and ≤ ${perEvent.toFixed(1)} µs on its one main thread`;
}

/** CPU seconds the test bed's Kafka broker has used so far (scripts/services.mjs writes its pid). */
export const brokerCpuSeconds = (): number => cpuSecondsOf(Number(readFileSync(join(packageRoot(), '.services', 'kafka', 'kafka.pid'), 'utf8').split('\n')[0]));

/** The one-partition topics of a bench run, named `<prefix>-<name>`; `dropAll` deletes every one named here. */
export function benchTopics(admin: Admin, prefix: string) {
  const names: string[] = [];
  const name = (suffix: string): string => {
    const topic = `${prefix}-${suffix}`;
    names.push(topic);
    return topic;
  };
  return {
    /** A name for a topic something else creates (Kafka's own tools). */
    name,
    /** Creates the topic and waits for its leader. */
    async fresh(suffix: string): Promise<string> {
      const topic = name(suffix);
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      return topic;
    },
    dropAll: async (): Promise<void> => { await admin.deleteTopics({ topics: names }).catch(() => {}); },
  };
}
