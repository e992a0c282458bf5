// The measurements of an earlier run, read back from what it printed (`--from-log FILE`): a run whose report
// could not be written (a chart renderer missing, a full disk) is not lost with its half hour.
import type { Measurement, Tool } from './measurement.js';

const number = (text: string) => Number(text.replaceAll(',', ''));

export function measurementsFromLog(text: string): Measurement[] {
  const out: Measurement[] = [];
  let workload = '';
  let round = 0;
  let events = 0;
  for (const line of text.split('\n')) {
    const header = /^ {2}(\S.*) round (\d+): ([\d,]+) (?:transactions|rows)(.*)$/.exec(line);
    if (header) {
      workload = header[1]!;
      round = Number(header[2]);
      events = number(header[3]!);
      // A snapshot round prints its raw limit on the same line.
      const limit = /; (.+): ([\d,]+) rows\/s$/.exec(header[4]!);
      if (limit) out.push({ workload, tool: 'limit', round, events, eventsPerSecond: number(limit[2]!), streamingEventsPerSecond: number(limit[2]!), note: limit[1]! });
      continue;
    }
    const figures = /^ {4}(\S.*?): ([\d,]+) (?:events|rows)\/s incl\. start, ([\d,]+) (?:events|rows)\/s from (?:streaming|snapshot) start(.*)$/.exec(line);
    if (!figures || !workload) continue;
    const tool: Tool = figures[1] === 'logtap' || figures[1] === 'debezium' ? figures[1] : 'limit';
    const optional = (pattern: RegExp) => { const m = pattern.exec(figures[4]!); return m ? Number(m[1]) : undefined; };
    const m: Measurement = { workload, tool, round, events, eventsPerSecond: number(figures[2]!), streamingEventsPerSecond: number(figures[3]!) };
    const p50Ms = optional(/p50 ([\d.]+) ms/); const p99Ms = optional(/p99 ([\d.]+) ms/);
    const peakRssMb = optional(/peak RSS ([\d.]+) MB/); const cpuSeconds = optional(/CPU ([\d.]+) s/);
    if (p50Ms !== undefined) m.p50Ms = p50Ms;
    if (p99Ms !== undefined) m.p99Ms = p99Ms;
    if (peakRssMb !== undefined) m.peakRssMb = peakRssMb;
    if (cpuSeconds !== undefined) m.cpuSeconds = cpuSeconds;
    if (tool === 'limit') m.note = figures[1]!;
    out.push(m);
  }
  return out;
}
