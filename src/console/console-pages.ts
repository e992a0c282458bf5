import type { ConsoleError, ConsolePhase } from './console-state.js';
import type { FieldChange } from './schema-diff.js';
import { type DualityView, displayValue } from './duality-view.js';

/** HTML-escapes text for element content and attribute values. */
export const esc = (text: unknown): string => String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:10px 20px;display:flex;gap:24px;align-items:center}
header a{color:#cfd6e4;text-decoration:none}header a.on{color:#fff;font-weight:600}
main{padding:16px 20px;max-width:1200px}
h1{font-size:18px;margin:0 16px 0 0}h2{font-size:16px;margin:20px 0 8px}
table{border-collapse:collapse;background:#fff;width:100%}td,th{border:1px solid #dde1e8;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef0f4}.diff{background:#ffe2e0}.missing{background:#fff4d6}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600}
.streaming{background:#1f8a4c}.snapshotting{background:#2f6fd6}.standby{background:#7a5cc4}.starting{background:#888}.restarting{background:#d98b1c}.stopped{background:#c2372f}
.grid{display:grid;grid-template-columns:repeat(3,1fr);gap:12px}.card{background:#fff;border:1px solid #dde1e8;padding:10px}
.card svg{width:100%;height:120px;background:#fbfcfd}.value{font-size:20px;font-weight:600}.muted{color:#68707f}
.error{background:#fff0ef;border:1px solid #e8b4b0;padding:8px;margin:8px 0;white-space:pre-wrap}
dl{display:grid;grid-template-columns:max-content auto;gap:4px 16px;margin:0}dt{color:#68707f}
button{padding:3px 10px}code{font-size:12px}`;

export function page(title: string, active: 'overview' | 'tables', body: string, script = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} — logtap</title><style>${STYLE}</style></head>
<body><header><h1>logtap</h1><a href="/" class="${active === 'overview' ? 'on' : ''}">Overview</a><a href="/tables" class="${active === 'tables' ? 'on' : ''}">Tables</a></header>
<main>${body}</main>${script ? `<script>${script}</script>` : ''}</body></html>`;
}

export interface OverviewModel {
  connector: string;
  kind: string;
  source: string;
  topicPrefix: string;
  /** `topics.name` with {prefix} filled in, and how many routes send tables elsewhere. */
  topicName: string;
  routes: number;
  version: string;
  phase: ConsolePhase;
  error: ConsoleError | null;
  checkpoint: { position: string | null; ageSeconds: number | null };
  lag: { bytes: number | null; seconds: number | null };
}

const duration = (seconds: number | null): string => (seconds === null || !Number.isFinite(seconds) ? '—' : seconds < 120 ? `${seconds.toFixed(1)} s` : `${(seconds / 60).toFixed(1)} min`);
const bytes = (n: number | null): string => (n === null ? '—' : n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`);

export function overviewPage(m: OverviewModel): string {
  const error = m.error ? `<div class="error" id="last-error"><b>${esc(m.error.code)}</b> ${esc(new Date(m.error.at).toISOString())}${m.error.retriable ? ' (retried)' : ''}${m.error.recorded ? ' (recorded by an earlier run; cleared once streaming resumes)' : ''}\n${esc(m.error.message)}</div>` : '';
  const chart = (id: string, title: string, unit: string) => `<div class="card"><div class="muted">${esc(title)}</div><div class="value"><span id="${id}-now">—</span> ${esc(unit)}</div><svg id="${id}" viewBox="0 0 300 100" preserveAspectRatio="none"><polyline fill="none" stroke="#2f6fd6" stroke-width="1.5" points=""/></svg></div>`;
  const body = `
<h2>Connector <code>${esc(m.connector)}</code> <span class="badge ${m.phase}" id="phase">${esc(m.phase)}</span></h2>
${error}
<dl>
<dt>source</dt><dd>${esc(m.kind)} <code>${esc(m.source)}</code></dd>
<dt>topics</dt><dd><code>${esc(m.topicName)}</code>${m.routes > 0 ? ` and ${m.routes} route(s)` : ''}</dd>
<dt>checkpoint</dt><dd><code id="checkpoint">${esc(m.checkpoint.position ?? 'none yet')}</code>, <span id="checkpoint-age">${esc(duration(m.checkpoint.ageSeconds))}</span> ago</dd>
<dt>source lag</dt><dd><span id="lag-bytes">${esc(bytes(m.lag.bytes))}</span> retained, <span id="lag-seconds">${esc(duration(m.lag.seconds))}</span> commit → Kafka</dd>
<dt>logtap</dt><dd>${esc(m.version)}</dd>
</dl>
<h2>The last hour</h2>
<div class="grid">${chart('events', 'events published per second', '/s')}${chart('lag', 'source commit → Kafka commit (last transaction)', 's')}${chart('latency', 'mean commit latency per sample', 'ms')}</div>`;
  return page('Overview', 'overview', body, CHARTS_SCRIPT);
}

/** Draws the three charts from /api/samples and refreshes them (and the state) every 5 s. */
const CHARTS_SCRIPT = `
const draw = (id, values, digits) => {
  const svg = document.getElementById(id); if (!svg) return;
  const known = values.filter((v) => v !== null);
  document.getElementById(id + '-now').textContent = known.length ? known[known.length - 1].toFixed(digits) : '—';
  const max = Math.max(1e-9, ...known);
  const n = values.length;
  svg.firstElementChild.setAttribute('points', values.map((v, i) => v === null ? null : ((n < 2 ? 300 : i * 300 / (n - 1)).toFixed(1) + ',' + (98 - v / max * 94).toFixed(1))).filter(Boolean).join(' '));
};
const refresh = async () => {
  try {
    const r = await fetch('/api/samples'); const s = await r.json();
    draw('events', s.samples.map((p) => p.eventsPerSecond), 1);
    draw('lag', s.samples.map((p) => p.lagSeconds), 3);
    draw('latency', s.samples.map((p) => p.commitLatencyMs), 1);
    const phase = document.getElementById('phase'); phase.textContent = s.phase; phase.className = 'badge ' + s.phase;
    document.getElementById('checkpoint').textContent = s.checkpoint ?? 'none yet';
    const seconds = (v) => v === null || v === undefined ? '—' : v < 120 ? v.toFixed(1) + ' s' : (v / 60).toFixed(1) + ' min';
    const last = s.samples[s.samples.length - 1] || {};
    document.getElementById('checkpoint-age').textContent = seconds(s.checkpointAgeSeconds);
    document.getElementById('lag-seconds').textContent = seconds(last.lagSeconds);
    document.getElementById('lag-bytes').textContent = last.lagBytes === null || last.lagBytes === undefined ? '—' : last.lagBytes < 1048576 ? (last.lagBytes / 1024).toFixed(1) + ' KiB' : (last.lagBytes / 1048576).toFixed(1) + ' MiB';
  } catch (e) {}
};
refresh(); setInterval(refresh, 5000);`;

export interface TableModel {
  table: string;
  topic: string;
  events: number;
  lastChangeAt: number | null;
  schemaVersion: number;
  snapshotRows: number | null;
  backfill: { phase: 'queued' | 'running' | 'done'; rows: number; estimatedRows: number | null; etaSeconds: number | null } | null;
}

export function tablesPage(tables: TableModel[], options: { backfills: boolean; actions: boolean }): string {
  const rows = tables.map((t) => {
    const backfill = t.backfill
      ? `${esc(t.backfill.phase)}: ${t.backfill.rows} row(s)${t.backfill.estimatedRows ? ` of ~${t.backfill.estimatedRows}` : ''}${t.backfill.etaSeconds !== null ? `, ETA ${esc(duration(t.backfill.etaSeconds))}` : ''}`
      : '';
    const button = options.backfills
      ? `<button data-table="${esc(t.table)}" class="backfill"${options.actions ? '' : ' disabled title="read-only console: set http.token to allow actions"'}>Backfill</button>`
      : '<span class="muted" title="set signal: { enabled: true } to allow online backfills">—</span>';
    return `<tr data-table="${esc(t.table)}"><td><a href="/tables/${encodeURIComponent(t.table)}">${esc(t.table)}</a><div class="muted"><code>${esc(t.topic)}</code></div></td>
<td class="events">${t.events}</td><td>${t.lastChangeAt ? esc(new Date(t.lastChangeAt).toISOString()) : '—'}</td>
<td><a href="/tables/${encodeURIComponent(t.table)}#versions">v${t.schemaVersion}</a></td><td>${t.snapshotRows ?? '—'}</td><td class="backfill-state">${backfill}</td><td>${button}</td></tr>`;
  }).join('\n');
  const tokenInput = options.backfills && options.actions ? '<p>Token for actions: <input id="token" type="password" autocomplete="off"> <span id="action-result" class="muted"></span></p>' : '';
  const body = `<h2>Tables</h2>${tokenInput}
<table id="tables"><tr><th>table</th><th>events published</th><th>last change</th><th>schema</th><th>snapshot rows</th><th>backfill</th><th></th></tr>${rows || '<tr><td colspan="7" class="muted">no table published yet</td></tr>'}</table>`;
  return page('Tables', 'tables', body, TABLES_SCRIPT);
}

const TABLES_SCRIPT = `
const token = document.getElementById('token');
if (token) token.value = sessionStorage.getItem('logtap-token') || '';
for (const b of document.querySelectorAll('button.backfill')) b.addEventListener('click', async () => {
  if (token) sessionStorage.setItem('logtap-token', token.value);
  const r = await fetch('/api/backfill', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + (token ? token.value : '') }, body: JSON.stringify({ table: b.dataset.table }) });
  const text = await r.text();
  document.getElementById('action-result').textContent = (r.ok ? 'requested: ' : 'refused: ') + text;
});
setInterval(() => { if (!document.activeElement || document.activeElement.id !== 'token') location.reload(); }, 5000);`;

export interface TableDetailModel {
  table: string;
  topic: string;
  versions: { version: number; changes: FieldChange[] | null; columns: number }[];
  duality: DualityView | { problem: string };
}

export function tablePage(m: TableDetailModel): string {
  const versions = m.versions.map((v) => `<tr><td>v${v.version}</td><td>${v.columns}</td><td>${v.changes === null ? 'first version' : v.changes.length === 0 ? 'no column change' : v.changes.map((c) => `<div><b>${esc(c.column)}</b> ${esc(c.change)}${c.before ? `: <code>${esc(c.before)}</code>` : ''}${c.after ? ` → <code>${esc(c.after)}</code>` : ''}</div>`).join('')}</td></tr>`).join('');
  let duality: string;
  if ('problem' in m.duality) {
    duality = `<p class="muted">${esc(m.duality.problem)}</p>`;
  } else {
    const d = m.duality;
    const columns = d.table.columns.map((c) => c.name);
    const header = `<tr><th>key</th><th>side</th>${columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
    const body = d.rows.map((r) => {
      const line = (side: 'topic' | 'source') => {
        const row = r[side];
        const cells = columns.map((c) => `<td class="${row === null ? 'missing' : r.differs.includes(c) ? 'diff' : ''}">${row === null ? '' : esc(displayValue(row[c]))}</td>`).join('');
        return `<tr class="${side}${r.differs.length ? ' differs' : ''}">${side === 'topic' ? `<td rowspan="2"><code>${esc(r.key)}</code></td>` : ''}<td>${side}${row === null ? ' (missing)' : ''}</td>${cells}</tr>`;
      };
      return line('topic') + line('source');
    }).join('\n');
    const differing = d.rows.filter((r) => r.differs.length > 0).length;
    duality = `<p id="duality-summary">The topic describes ${d.topicRows} row(s); the ${d.rows.length} smallest keys are shown beside the source as it is now: <b>${differing === 0 ? 'equal' : `${differing} differ`}</b>${d.sourceScanComplete ? '' : ` (the source scan stopped after ${d.sourceRowsScanned} rows)`}. A change in flight shows as a difference until it is published.</p>
<table id="duality">${header}${body}</table>`;
  }
  const body = `<h2>${esc(m.table)} <span class="muted"><code>${esc(m.topic)}</code></span></h2>
<h2 id="versions">Schema versions</h2><table><tr><th>version</th><th>columns</th><th>changes from the previous version</th></tr>${versions}</table>
<h2>The table from its topic</h2>${duality}`;
  return page(m.table, 'tables', body);
}
