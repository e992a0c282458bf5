// One round of a streaming workload on one database: both tools capture the same table from the same
// log; the workload is written while both are stopped, then each catches up (start → last event readable
// in Kafka) and streams a fixed-rate insert load for the latency figures, one tool after the other.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { packageRoot } from '../../src/package-root.js';
import { type CdcProcess, spawnOwned } from './cdc-process.js';
import type { DebeziumInstall } from './debezium-assembly.js';
import { startDebezium } from './debezium-connect.js';
import { startLogtap } from './logtap-process.js';
import type { LogtapDelivery } from './tool-configs.js';
import type { Measurement } from './measurement.js';
import type { SourceBed } from './source-bed.js';
import { recordsIn } from './topic-progress.js';
import { ReadableWatch } from './readable-watch.js';

export interface RoundSettings {
  events: number; rate: number; seconds: number; brokers: string; round: number; suffix: string;
  logtapFirst: boolean; delivery: LogtapDelivery; cpuProfileDir?: string;
}

const until = async (what: string, probe: () => Promise<boolean>, cdc: CdcProcess, logFile: string, timeoutMs = 600_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    cdc.assertAlive(logFile);
    if (Date.now() > deadline) throw new Error(`${cdc.tool}: ${what} did not happen within ${timeoutMs / 1000} s; see ${logFile}`);
    await sleep(20);
  }
};

/** The line each tool logs when its streaming begins (after connecting, loading its position, checks). */
const LOGTAP_STREAMING = '"msg":"streaming"';
const DEBEZIUM_STREAMING = 'Starting streaming';
const markersIn = (logFile: string, text: string) => { try { return readFileSync(logFile, 'utf8').split(text).length - 1; } catch { return 0; } };

/**
 * Process start → the workload's last event readable (seen by `watch`), and the tool's streaming start (its log
 * line, the `seen`+1st) → the same; CPU seconds at that moment.
 */
async function catchUp(p: CdcProcess, logFile: string, marker: string, seen: number, watch: ReadableWatch) {
  let streamingAt = 0;
  await until('catch-up', async () => {
    if (!streamingAt && markersIn(logFile, marker) > seen) streamingAt = Date.now();
    return watch.doneAt > 0;
  }, p, logFile);
  const { cpuSeconds } = p.usage();
  const end = watch.doneAt;
  return { seconds: (end - p.startedAt) / 1000, streamingSeconds: (end - (streamingAt || end)) / 1000, cpuSeconds };
}

/** Before a latency phase: the tool has published what it missed while stopped (the other tool's latency rows). */
async function caughtUpWithSource(bed: SourceBed, s: RoundSettings, topic: string, tag: string, p: CdcProcess, logFile: string): Promise<void> {
  const watch = new ReadableWatch(s.brokers, topic, { find: tag });
  await watch.ready();
  await bed.insertRow(tag);
  await until('catch-up before the latency phase', async () => watch.doneAt > 0, p, logFile);
}

/** The latency consumer (its own process) while the bed writes a fixed rate; p50/p99 over the phase's rows. */
async function latencyPhase(bed: SourceBed, s: RoundSettings, topic: string, format: 'logtap' | 'debezium', prefix: string) {
  const since = Date.now() * 1000;
  const consumer = spawnOwned(process.execPath, [join(packageRoot(), 'dist-bench', 'bench', 'vs-debezium', 'latency-consumer.js'), s.brokers, topic, format, prefix, String(since), String(s.seconds * 1000 + 120_000)],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  consumer.stdout!.on('data', (d) => { out += d; });
  const exited = new Promise((r) => consumer.once('exit', r));
  while (!out.includes('ready')) await sleep(20);
  bed.writeAtRate(s.rate, s.seconds);
  const written = await bed.countRowsSince(since);
  consumer.stdin!.end(`${written}\n`);
  console.log(`    ${format}: latency phase wrote ${written} rows`);
  await exited;
  const r = JSON.parse(out.trim().split('\n').pop()!) as { p50: number | null; p99: number | null; n: number };
  if (r.n < written) console.log(`    ${format}: only ${r.n} of ${written} rows arrived within the consumer's time limit`);
  return { p50: r.p50 ?? NaN, p99: r.p99 ?? NaN, n: r.n };
}

export async function streamingRound(bed: SourceBed, workload: string, s: RoundSettings, kafka: Kafka, install: DebeziumInstall): Promise<Measurement[]> {
  const admin = kafka.admin();
  await admin.connect();
  const lt = { name: `vsdbz_lt_${s.suffix}`, workDir: mkdtempSync(join(tmpdir(), 'logtap-vs-debezium-lt-')) };
  const dz = { name: `vsdbz_dz_${s.suffix}`, workDir: mkdtempSync(join(tmpdir(), 'logtap-vs-debezium-dz-')) };
  const logtapRun = { workDir: lt.workDir, name: lt.name, ...bed.logtapSource(), brokers: s.brokers, topicPrefix: lt.name, extra: { delivery: s.delivery } };
  const connector = { ...bed.debeziumConnector(dz.name, dz.name) };
  if ('schema.history.internal.kafka.bootstrap.servers' in connector) connector['schema.history.internal.kafka.bootstrap.servers'] = s.brokers;
  const debeziumRun = { workDir: dz.workDir, brokers: s.brokers, connector };
  const dzTopic = bed.debeziumTopic(dz.name);
  const ltTopic = bed.logtapTopic(lt.name);

  await bed.createTable(s.events);
  // First starts: each tool takes its start position (slot / checkpoint / offsets) and publishes a warm-up row
  // (inserted until one arrives: a row written before the tool's slot or binlog position existed is not seen), so its
  // topic exists and its stop records a position before the workload.
  const warmUp = async (p: CdcProcess, logFile: string, topic: string) => {
    await until('warm-up row', async () => { await bed.insertRow('warm-up'); await sleep(1000); return (await recordsIn(admin, topic)) > 0; }, p, logFile, 300_000);
    await sleep(2500); // Debezium: an offset flush (offset.flush.interval.ms = 1000) before the stop, which flushes again
    await p.stop();
  };
  const first = startLogtap(logtapRun);
  await warmUp(first.process, first.logFile, ltTopic);
  const second = await startDebezium(install, debeziumRun);
  await warmUp(second.process, second.logFile, dzTopic);
  await bed.prepareRaw();

  const w0 = Date.now();
  await bed.writeMixed(s.events, s.events);
  // The closing row: its payload is what the topic watchers look for (the last event of the workload).
  const closing = `end-of-workload-${s.suffix}`;
  await bed.insertRow(closing);
  const end = await bed.position();
  console.log(`  ${workload} round ${s.round}: ${s.events.toLocaleString('en-US')} transactions written in ${((Date.now() - w0) / 1000).toFixed(1)} s`);
  const rawSeconds = await bed.rawRead(end);
  const results: Measurement[] = [{ workload, tool: 'limit', round: s.round, events: s.events, eventsPerSecond: s.events / rawSeconds, streamingEventsPerSecond: s.events / rawSeconds, note: bed.label === 'PostgreSQL' ? 'pg_recvlogical (pgoutput → /dev/null)' : 'mariadb-binlog --read-from-remote-server → /dev/null' }];
  console.log(`    ${describe(results[0]!)}`);

  const runLogtap = async () => {
    const seen = markersIn(join(lt.workDir, 'logtap.log'), LOGTAP_STREAMING);
    const watch = new ReadableWatch(s.brokers, ltTopic, { find: closing });
    await watch.ready();
    const { process: p, logFile } = startLogtap(logtapRun, s.cpuProfileDir);
    const { seconds, streamingSeconds, cpuSeconds } = await catchUp(p, logFile, LOGTAP_STREAMING, seen, watch);
    await caughtUpWithSource(bed, s, ltTopic, `settled-logtap-${s.suffix}`, p, logFile);
    const latency = await latencyPhase(bed, s, ltTopic, 'logtap', lt.name);
    const { peakRssMb } = p.usage();
    await p.stop();
    const m: Measurement = { workload, tool: 'logtap', round: s.round, events: s.events, eventsPerSecond: s.events / seconds, streamingEventsPerSecond: s.events / streamingSeconds, p50Ms: latency.p50, p99Ms: latency.p99, peakRssMb, cpuSeconds };
    results.push(m);
    console.log(`    ${describe(m)}`);
  };
  const runDebezium = async () => {
    const seen = markersIn(join(dz.workDir, 'connect.log'), DEBEZIUM_STREAMING);
    const watch = new ReadableWatch(s.brokers, dzTopic, { find: closing });
    await watch.ready();
    const { process: p, logFile } = await startDebezium(install, debeziumRun);
    const { seconds, streamingSeconds, cpuSeconds } = await catchUp(p, logFile, DEBEZIUM_STREAMING, seen, watch);
    await caughtUpWithSource(bed, s, dzTopic, `settled-debezium-${s.suffix}`, p, logFile);
    const latency = await latencyPhase(bed, s, dzTopic, 'debezium', dz.name);
    const { peakRssMb } = p.usage();
    await p.stop();
    const m: Measurement = { workload, tool: 'debezium', round: s.round, events: s.events, eventsPerSecond: s.events / seconds, streamingEventsPerSecond: s.events / streamingSeconds, p50Ms: latency.p50, p99Ms: latency.p99, peakRssMb, cpuSeconds };
    results.push(m);
    console.log(`    ${describe(m)}`);
  };
  for (const run of s.logtapFirst ? [runLogtap, runDebezium] : [runDebezium, runLogtap]) await run();
  await admin.disconnect();
  // The work folders (configs, logs, Debezium's offsets) stay only when the round failed, for its logs.
  for (const dir of [lt.workDir, dz.workDir]) rmSync(dir, { recursive: true, force: true });
  return results;
}

const describe = (m: Measurement) => `${m.tool === 'limit' ? m.note : m.tool}: ${Math.round(m.eventsPerSecond).toLocaleString('en-US')} events/s incl. start, ${Math.round(m.streamingEventsPerSecond).toLocaleString('en-US')} events/s from streaming start` +
  (m.p50Ms === undefined ? '' : `, p50 ${m.p50Ms.toFixed(1)} ms, p99 ${m.p99Ms!.toFixed(1)} ms, peak RSS ${m.peakRssMb!.toFixed(0)} MB, CPU ${m.cpuSeconds!.toFixed(1)} s`);
