// One round of the initial-snapshot workload on one database: a fresh table of N rows, read by each tool's
// initial snapshot into Kafka (one after the other, on the same rows), and by the database's bulk export.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Kafka } from 'kafkajs';
import type { CdcProcess } from './cdc-process.js';
import { ReadableWatch } from './readable-watch.js';
import type { DebeziumInstall } from './debezium-assembly.js';
import { startDebezium } from './debezium-connect.js';
import { startLogtap } from './logtap-process.js';
import type { LogtapDelivery } from './tool-configs.js';
import type { Measurement } from './measurement.js';
import type { SourceBed } from './source-bed.js';

export interface SnapshotSettings { rows: number; brokers: string; round: number; suffix: string; logtapFirst: boolean; delivery: LogtapDelivery }

const logText = (file: string) => { try { return readFileSync(file, 'utf8'); } catch { return ''; } };

/**
 * Polls until every row of `topic` is readable (counted by a read_committed consumer of its own, started once
 * the tool created the topic); notes when the tool logged `startMarker` (its snapshot began).
 */
async function measure(p: CdcProcess, logFile: string, startMarker: string, admin: Admin, brokers: string, topic: string, rows: number) {
  let startedAt = 0;
  let watch: ReadableWatch | undefined;
  const done = async () => {
    if (!watch && (await admin.listTopics()).includes(topic)) watch = new ReadableWatch(brokers, topic, { count: rows });
    return (watch?.doneAt ?? 0) > 0;
  };
  const deadline = Date.now() + 3_600_000;
  while (!(await done())) {
    p.assertAlive(logFile);
    if (Date.now() > deadline) throw new Error(`${p.tool}: the snapshot did not finish within an hour; see ${logFile}`);
    if (!startedAt && logText(logFile).includes(startMarker)) startedAt = Date.now();
    await sleep(50);
  }
  const end = watch!.doneAt;
  const usage = p.usage();
  return { seconds: (end - p.startedAt) / 1000, snapshotSeconds: (end - (startedAt || end)) / 1000, ...usage };
}

export async function snapshotRound(bed: SourceBed, workload: string, s: SnapshotSettings, kafka: Kafka, install: DebeziumInstall): Promise<Measurement[]> {
  await bed.createTable(s.rows);
  const rawSeconds = await bed.rawExport();
  const results: Measurement[] = [{ workload, tool: 'limit', round: s.round, events: s.rows, eventsPerSecond: s.rows / rawSeconds, streamingEventsPerSecond: s.rows / rawSeconds, note: bed.rawExportNote }];
  console.log(`  ${workload} round ${s.round}: ${s.rows.toLocaleString('en-US')} rows; ${bed.rawExportNote}: ${Math.round(s.rows / rawSeconds).toLocaleString('en-US')} rows/s`);

  const runLogtap = async () => {
    const name = `vsdbz_ls_${s.suffix}`;
    const workDir = mkdtempSync(join(tmpdir(), 'logtap-vs-debezium-ls-'));
    const { process: p, logFile } = startLogtap({ workDir, name, ...bed.logtapSource(), brokers: s.brokers, topicPrefix: name, extra: { snapshot: { mode: 'initial' }, delivery: s.delivery } });
    const r = await measure(p, logFile, '"msg":"snapshot started"', admin, s.brokers, bed.logtapTopic(name), s.rows);
    await p.stop();
    rmSync(workDir, { recursive: true, force: true }); // kept only when the run failed, for its log
    results.push({ workload, tool: 'logtap', round: s.round, events: s.rows, eventsPerSecond: s.rows / r.seconds, streamingEventsPerSecond: s.rows / r.snapshotSeconds, peakRssMb: r.peakRssMb, cpuSeconds: r.cpuSeconds });
    console.log(`    logtap: ${Math.round(s.rows / r.seconds).toLocaleString('en-US')} rows/s incl. start, ${Math.round(s.rows / r.snapshotSeconds).toLocaleString('en-US')} rows/s from snapshot start, peak RSS ${r.peakRssMb.toFixed(0)} MB, CPU ${r.cpuSeconds.toFixed(1)} s`);
  };
  const runDebezium = async () => {
    const name = `vsdbz_ds_${s.suffix}`;
    const workDir = mkdtempSync(join(tmpdir(), 'logtap-vs-debezium-ds-'));
    const connector = { ...bed.debeziumConnector(name, name), 'snapshot.mode': 'initial' };
    if ('schema.history.internal.kafka.bootstrap.servers' in connector) connector['schema.history.internal.kafka.bootstrap.servers'] = s.brokers;
    const { process: p, logFile } = await startDebezium(install, { workDir, brokers: s.brokers, connector });
    const topic = bed.debeziumTopic(name);
    const r = await measure(p, logFile, 'Snapshot step 1', admin, s.brokers, topic, s.rows);
    await p.stop();
    rmSync(workDir, { recursive: true, force: true });
    results.push({ workload, tool: 'debezium', round: s.round, events: s.rows, eventsPerSecond: s.rows / r.seconds, streamingEventsPerSecond: s.rows / r.snapshotSeconds, peakRssMb: r.peakRssMb, cpuSeconds: r.cpuSeconds });
    console.log(`    debezium: ${Math.round(s.rows / r.seconds).toLocaleString('en-US')} rows/s incl. start, ${Math.round(s.rows / r.snapshotSeconds).toLocaleString('en-US')} rows/s from snapshot start, peak RSS ${r.peakRssMb.toFixed(0)} MB, CPU ${r.cpuSeconds.toFixed(1)} s`);
  };
  const admin = kafka.admin();
  await admin.connect();
  for (const run of s.logtapFirst ? [runLogtap, runDebezium] : [runDebezium, runLogtap]) await run();
  await admin.disconnect();
  return results;
}
