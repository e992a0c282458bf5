// The results: medians per workload and tool, ratios logtap/Debezium and logtap/limit, as a Markdown table
// (printed and written to bench/results/<date>.md) and a bar chart (SVG drawn here, rendered to PNG by
// @resvg/resvg-js, a dev dependency with prebuilt binaries: nothing to install on the machine but a font).
import { writeFileSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import type { Measurement, Tool } from './measurement.js';

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export interface Row { workload: string; tool: Tool; rounds: number; eventsPerSecond: number; streamingEventsPerSecond: number; p50Ms: number; p99Ms: number; peakRssMb: number; cpuSeconds: number; note?: string }

export function medians(ms: Measurement[]): Row[] {
  const rows: Row[] = [];
  for (const workload of [...new Set(ms.map((m) => m.workload))]) {
    for (const tool of ['logtap', 'debezium', 'limit'] as const) {
      const of = ms.filter((m) => m.workload === workload && m.tool === tool);
      if (of.length === 0) continue;
      const m = (f: (x: Measurement) => number | undefined) => median(of.map((x) => f(x) ?? NaN));
      rows.push({ workload, tool, rounds: of.length, eventsPerSecond: m((x) => x.eventsPerSecond), streamingEventsPerSecond: m((x) => x.streamingEventsPerSecond), p50Ms: m((x) => x.p50Ms), p99Ms: m((x) => x.p99Ms),
        peakRssMb: m((x) => x.peakRssMb), cpuSeconds: m((x) => x.cpuSeconds), ...(of[0]!.note ? { note: of[0]!.note } : {}) });
    }
  }
  return rows;
}

const n = (x: number, digits = 0) => Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '—';
const ratio = (a: number, b: number) => Number.isFinite(a / b) ? (a / b).toFixed(2) : '—';

export function markdownTable(rows: Row[], unavailable: string[]): string {
  const lines = ['| workload | tool | rounds | events/s incl. start | events/s from streaming start | p50 ms | p99 ms | peak RSS MB | CPU s (catch-up) |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) lines.push(`| ${r.workload} | ${r.tool === 'limit' ? `limit: ${r.note}` : r.tool} | ${r.rounds} | ${n(r.eventsPerSecond)} | ${n(r.streamingEventsPerSecond)} | ${n(r.p50Ms, 1)} | ${n(r.p99Ms, 1)} | ${n(r.peakRssMb)} | ${n(r.cpuSeconds, 1)} |`);
  for (const u of unavailable) lines.push(`| ${u} | logtap | — | not available | | | | | |`);
  lines.push('', '| workload | events/s logtap/Debezium (incl. start) | events/s logtap/Debezium (from streaming start) | events/s logtap/limit (from streaming start) | p99 logtap/Debezium | RSS logtap/Debezium | CPU s logtap/Debezium |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const workload of [...new Set(rows.map((r) => r.workload))]) {
    const of = (t: Tool) => rows.find((r) => r.workload === workload && r.tool === t);
    const l = of('logtap'); const d = of('debezium'); const lim = of('limit');
    if (!l) continue;
    lines.push(`| ${workload} | ${d ? ratio(l.eventsPerSecond, d.eventsPerSecond) : '—'} | ${d ? ratio(l.streamingEventsPerSecond, d.streamingEventsPerSecond) : '—'} | ${lim ? ratio(l.streamingEventsPerSecond, lim.streamingEventsPerSecond) : '—'} | ${d ? ratio(l.p99Ms, d.p99Ms) : '—'} | ${d ? ratio(l.peakRssMb, d.peakRssMb) : '—'} | ${d ? ratio(l.cpuSeconds, d.cpuSeconds) : '—'} |`);
  }
  return lines.join('\n');
}

/** Three panels (events/s, p99 ms, peak RSS MB), a bar per tool per workload. */
/**
 * Three panels (events/s from streaming start, p99 ms, peak RSS MB), a logtap and a Debezium bar per workload.
 * The raw limits stay in the table: an order of magnitude above both tools, they would flatten the bars.
 */
export function writeChart(rows: Row[], pngFile: string, title: string): void {
  const colors = { logtap: '#2b7bb9', debezium: '#d9822b' } as const;
  const panels: Array<{ label: string; value: (r: Row) => number }> = [
    { label: 'events/s from streaming start (higher is better)', value: (r) => r.streamingEventsPerSecond },
    { label: 'p99 insert → readable in Kafka, ms (lower is better)', value: (r) => r.p99Ms },
    { label: 'peak RSS, MB (lower is better)', value: (r) => r.peakRssMb },
  ];
  const panelW = 520; const panelH = 300; const top = 80; const left = 20;
  const width = left * 2 + panels.length * panelW; const height = top + panelH + 30;
  const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif">`,
    '<rect width="100%" height="100%" fill="white"/>', `<text x="${left}" y="28" font-size="18">${esc(title)}</text>`];
  (['logtap', 'debezium'] as const).forEach((t, i) => {
    parts.push(`<rect x="${left + i * 120}" y="42" width="14" height="14" fill="${colors[t]}"/><text x="${left + i * 120 + 20}" y="54" font-size="13">${t}</text>`);
  });
  parts.push(`<text x="${left + 260}" y="54" font-size="13" fill="#555">raw limits (pg_recvlogical, mariadb-binlog, COPY/SELECT): see the table</text>`);
  panels.forEach((panel, pi) => {
    const x0 = left + pi * panelW + 10; const w = panelW - 40; const y0 = top + 20; const h = panelH - 70;
    const bars = rows.filter((r) => r.tool !== 'limit' && Number.isFinite(panel.value(r)));
    const workloads = [...new Set(bars.map((r) => r.workload))];
    const max = Math.max(1, ...bars.map(panel.value)) * 1.12;
    parts.push(`<text x="${x0}" y="${top + 8}" font-size="13">${esc(panel.label)}</text>`, `<line x1="${x0}" y1="${y0 + h}" x2="${x0 + w}" y2="${y0 + h}" stroke="black"/>`);
    const groupW = w / Math.max(1, workloads.length);
    workloads.forEach((workload, wi) => {
      const barW = Math.min(44, (groupW - 16) / 2);
      const gx = x0 + wi * groupW + (groupW - 2 * barW) / 2;
      (['logtap', 'debezium'] as const).forEach((tool, bi) => {
        const r = bars.find((b) => b.workload === workload && b.tool === tool);
        if (!r) return;
        const v = panel.value(r); const bh = (v / max) * h; const x = gx + bi * barW;
        parts.push(`<rect x="${x}" y="${y0 + h - bh}" width="${barW - 3}" height="${bh}" fill="${colors[tool]}"/>`,
          `<text x="${x + (barW - 3) / 2}" y="${y0 + h - bh - 4}" font-size="10" text-anchor="middle">${n(v)}</text>`);
      });
      // "PostgreSQL streaming" → two lines under the group.
      const [db, ...kind] = workload.split(' ');
      parts.push(`<text x="${x0 + wi * groupW + groupW / 2}" y="${y0 + h + 16}" font-size="11" text-anchor="middle">${esc(db ?? '')}</text>`,
        `<text x="${x0 + wi * groupW + groupW / 2}" y="${y0 + h + 30}" font-size="11" text-anchor="middle">${esc(kind.join(' '))}</text>`);
    });
  });
  parts.push('</svg>');
  const svg = parts.join('\n');
  // The system's fonts (DejaVu Sans on Debian; any sans-serif otherwise) draw the text.
  const png = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: 'white' }).render().asPng();
  writeFileSync(pngFile, png);
}
