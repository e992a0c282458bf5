/**
 * Whether a MySQL connector checkpoint token's GTID state covers every domain of `end` (MariaDB
 * `domain-server-seq` lists). A position inside a transaction (`;in=`) covers nothing yet. Written from the
 * token's documented shape, not with the connector's own parser, so the tests stay independent of it.
 */
export function checkpointCovers(token: string, end: string): boolean {
  const state = /gtid=([^;#]*)/.exec(token)?.[1] ?? '';
  if (/;in=/.test(token)) return false;
  const seqs = new Map(state.split(',').filter(Boolean).map((g) => { const [d, , n] = g.split('-'); return [d, Number(n)]; }));
  return end.split(',').filter(Boolean).every((g) => { const [d, , n] = g.split('-'); return (seqs.get(d) ?? -1) >= Number(n); });
}
