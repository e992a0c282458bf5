import type { LogtapConfig } from './config-schema.js';
import type { Envelope } from '../events/event-encoder.js';
import { tableSettingsFor } from './table-settings.js';

/** The envelope of a table's records: its `tables:` entry's (table-settings.ts), else the global `envelope`. */
export function tableEnvelopeFor(config: Pick<LogtapConfig, 'envelope'> & Partial<Pick<LogtapConfig, 'tables'>>, namespace: string, table: string): Envelope {
  return tableSettingsFor({ tables: config.tables ?? {} }, namespace, table)?.envelope ?? config.envelope;
}
