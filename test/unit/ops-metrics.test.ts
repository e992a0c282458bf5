import { describe, expect, it } from 'vitest';
import { DaemonMetrics } from '../../src/ops/daemon-metrics.js';
import { Readiness } from '../../src/ops/readiness.js';
import { ConnectionError, SinkError } from '../../src/errors.js';
import type { SourceConnector } from '../../src/source/source-connector.js';

const record = (topic: string, key: string, value: string | null) => ({ topic, key: Buffer.from(key), value: value === null ? null : Buffer.from(value), headers: {} });
const line = (text: string, prefix: string) => text.split('\n').filter((l) => l.startsWith(prefix));

describe('DaemonMetrics', () => {
  it('counts records and key+value bytes per topic, and Kafka transactions per flush', async () => {
    const m = new DaemonMetrics('shop');
    m.published([record('p.public.a', 'k1', 'value'), record('p.public.a', 'k2', null), record('p.public.b', 'kk', '12')]);
    m.flushed({ position: { token: 't1', display: 'lsn 0/1' } });
    const { body } = await m.text();
    expect(line(body, 'logtap_events_published_total{')).toEqual([
      'logtap_events_published_total{topic="p.public.a",connector="shop"} 2',
      'logtap_events_published_total{topic="p.public.b",connector="shop"} 1',
    ]);
    expect(line(body, 'logtap_bytes_published_total{')).toEqual([
      'logtap_bytes_published_total{topic="p.public.a",connector="shop"} 9',
      'logtap_bytes_published_total{topic="p.public.b",connector="shop"} 4',
    ]);
    expect(line(body, 'logtap_kafka_transactions_total{')).toEqual(['logtap_kafka_transactions_total{connector="shop"} 1']);
  });

  it('shows only the latest checkpointed position', async () => {
    const m = new DaemonMetrics('shop');
    m.flushed({ position: { token: 't1', display: 'lsn 0/1' } });
    m.flushed({ position: { token: 't2', display: 'lsn 0/2' } });
    expect(line((await m.text()).body, 'logtap_source_position_info{')).toEqual(['logtap_source_position_info{position="lsn 0/2",connector="shop"} 1']);
  });

  it('counts errors by LogtapError code, UNKNOWN for anything else, and restarts', async () => {
    const m = new DaemonMetrics('shop');
    m.error(new ConnectionError('down'));
    m.error(new ConnectionError('down again'));
    m.error(new SinkError('refused'));
    m.error(new Error('plain'));
    m.restarted();
    const { body } = await m.text();
    expect(line(body, 'logtap_errors_total{').sort()).toEqual([
      'logtap_errors_total{code="CONNECTION",connector="shop"} 2',
      'logtap_errors_total{code="SINK",connector="shop"} 1',
      'logtap_errors_total{code="UNKNOWN",connector="shop"} 1',
    ]);
    expect(line(body, 'logtap_restarts_total{')).toEqual(['logtap_restarts_total{connector="shop"} 1']);
  });

  it('records lag as a histogram and the last value, and snapshot rows per table', async () => {
    const m = new DaemonMetrics('shop');
    m.commitToAck(250);
    m.commitToAck(-5); // clock skew between the database and us never gives a negative lag
    m.snapshotRows('public.orders', 1000);
    m.snapshotRows('public.orders', 500);
    const { body } = await m.text();
    expect(line(body, 'logtap_lag_seconds{')).toEqual(['logtap_lag_seconds{connector="shop"} 0']);
    expect(line(body, 'logtap_commit_to_publish_seconds_count{')).toEqual(['logtap_commit_to_publish_seconds_count{connector="shop"} 2']);
    expect(line(body, 'logtap_commit_to_publish_seconds_sum{')).toEqual(['logtap_commit_to_publish_seconds_sum{connector="shop"} 0.25']);
    expect(line(body, 'logtap_snapshot_rows_total{')).toEqual(['logtap_snapshot_rows_total{table="public.orders",connector="shop"} 1500']);
  });

  it('counts TOAST read-backs per table, and the rows gone by the read', async () => {
    const m = new DaemonMetrics('shop');
    m.unchangedValuesRead('public.staff', 3, 0);
    m.unchangedValuesRead('public.staff', 2, 1);
    const { body } = await m.text();
    expect(line(body, 'logtap_toast_read_back_rows_total{')).toEqual(['logtap_toast_read_back_rows_total{table="public.staff",connector="shop"} 5']);
    expect(line(body, 'logtap_toast_read_back_gone_total{')).toEqual(['logtap_toast_read_back_gone_total{table="public.staff",connector="shop"} 1']);
  });

  it('asks the current connector for its lag at scrape time, and leaves the series out without one or on failure', async () => {
    const m = new DaemonMetrics('shop');
    const lag = (text: string) => line(text, 'logtap_source_lag_bytes{');
    expect(lag((await m.text()).body)).toEqual([]);
    m.setSource({ kind: 'postgres', sourceLag: async () => ({ bytes: 4096 }) } as unknown as SourceConnector);
    expect(lag((await m.text()).body)).toEqual(['logtap_source_lag_bytes{source="postgres",connector="shop"} 4096']);
    m.setSource({ kind: 'postgres', sourceLag: async () => { throw new Error('gone'); } } as unknown as SourceConnector);
    expect(lag((await m.text()).body)).toEqual([]);
    m.setSource(null);
    expect(lag((await m.text()).body)).toEqual([]);
  });
});

describe('Readiness', () => {
  it('is ready only while streaming and Kafka answers', async () => {
    let kafkaUp = true;
    const r = new Readiness(async () => { if (!kafkaUp) throw new Error('connection refused'); });
    expect(await r.report()).toEqual({ ready: false, state: 'starting', reason: 'not streaming (starting)' });
    r.setState('streaming');
    expect(await r.report()).toEqual({ ready: true, state: 'streaming' });
    kafkaUp = false;
    await new Promise((done) => setTimeout(done, 1100)); // past the probe's reuse window
    expect(await r.report()).toEqual({ ready: false, state: 'streaming', reason: 'Kafka does not answer: connection refused' });
    r.setState('backoff');
    expect((await r.report()).ready).toBe(false);
  });

  it('counts a standby as ready only when asked to', async () => {
    const r = new Readiness(async () => {});
    r.setState('standby');
    expect(await r.report()).toMatchObject({ ready: false, state: 'standby' });
    expect(await r.report({ standbyReady: true })).toEqual({ ready: true, state: 'standby' });
  });

  it('probes Kafka once for a burst of requests', async () => {
    let probes = 0;
    const r = new Readiness(async () => { probes++; });
    r.setState('streaming');
    await Promise.all([r.report(), r.report(), r.report()]);
    expect(probes).toBe(1);
  });
});
