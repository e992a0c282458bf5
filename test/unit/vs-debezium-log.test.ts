import { describe, expect, it } from 'vitest';
import { measurementsFromLog } from '../../bench/vs-debezium/log-results.js';

// Lines as bench/vs-debezium printed them in a full run (2026-11-22).
const printed = `bench/vs-debezium — full scale: 200,000 events per streaming workload, 3 round(s)
  PostgreSQL streaming round 1: 200,000 transactions written in 23.5 s
    pg_recvlogical (pgoutput → /dev/null): 21,983 events/s incl. start, 21,983 events/s from streaming start
    logtap: latency phase wrote 39917 rows
    logtap: 11,246 events/s incl. start, 12,385 events/s from streaming start, p50 37.1 ms, p99 340.6 ms, peak RSS 113 MB, CPU 16.4 s
  PostgreSQL snapshot round 2: 1,000,000 rows; COPY … TO STDOUT (psql → /dev/null): 1,054,852 rows/s
    debezium: 27,847 rows/s incl. start, 33,036 rows/s from snapshot start, peak RSS 1713 MB, CPU 52.4 s
`;

describe('bench/vs-debezium --from-log', () => {
  it('reads back each measurement a run printed, limits included', () => {
    expect(measurementsFromLog(printed)).toEqual([
      { workload: 'PostgreSQL streaming', tool: 'limit', round: 1, events: 200_000, eventsPerSecond: 21_983, streamingEventsPerSecond: 21_983, note: 'pg_recvlogical (pgoutput → /dev/null)' },
      { workload: 'PostgreSQL streaming', tool: 'logtap', round: 1, events: 200_000, eventsPerSecond: 11_246, streamingEventsPerSecond: 12_385, p50Ms: 37.1, p99Ms: 340.6, peakRssMb: 113, cpuSeconds: 16.4 },
      { workload: 'PostgreSQL snapshot', tool: 'limit', round: 2, events: 1_000_000, eventsPerSecond: 1_054_852, streamingEventsPerSecond: 1_054_852, note: 'COPY … TO STDOUT (psql → /dev/null)' },
      { workload: 'PostgreSQL snapshot', tool: 'debezium', round: 2, events: 1_000_000, eventsPerSecond: 27_847, streamingEventsPerSecond: 33_036, peakRssMb: 1713, cpuSeconds: 52.4 },
    ]);
  });
});
