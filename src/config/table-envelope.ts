import type { LogtapConfig } from './config-schema.js';
import type { Envelope } from '../events/event-encoder.js';

/**
 * The `tables:` entry that applies to `namespace.table`: the exact name, else the most specific glob (the longest
 * pattern; `*` matches any characters), else none.
 */
export function tableEntryFor<T>(tables: Record<string, T>, namespace: string, table: string): T | undefined {
  const name = `${namespace}.${table}`;
  if (Object.hasOwn(tables, name)) return tables[name];
  let best: { pattern: string; entry: T } | undefined;
  for (const [pattern, entry] of Object.entries(tables)) {
    if (!pattern.includes('*') || !globMatches(pattern, name)) continue;
    if (!best || pattern.length > best.pattern.length) best = { pattern, entry };
  }
  return best?.entry;
}

const globMatches = (pattern: string, name: string): boolean =>
  new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(name);

/** The envelope of a table's records: its `tables:` entry's, else the global `envelope`. */
export function tableEnvelopeFor(config: Pick<LogtapConfig, 'envelope'> & Partial<Pick<LogtapConfig, 'tables'>>, namespace: string, table: string): Envelope {
  return tableEntryFor(config.tables ?? {}, namespace, table)?.envelope ?? config.envelope;
}
