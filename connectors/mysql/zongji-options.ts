/**
 * The mysql2 connection options zongji reads while decoding row values, set so that every value arrives exact:
 * - `dateStrings: true` — DATE/DATETIME/TIMESTAMP as text with all fractional digits (a Date keeps milliseconds
 *   only and cannot hold '0000-00-00');
 * - `timezone: 'Z'` — TIMESTAMP (seconds since the epoch in the binlog) printed in UTC, not in the process's zone;
 * - `jsonStrings: true` — MySQL 8 binary JSON as text rather than a parsed object (MariaDB JSON is text anyway);
 * - `decimalNumbers: false` — DECIMAL as its exact string, never a float.
 */
export const EXACT_ZONGJI_CONNECTION_OPTIONS = {
  dateStrings: true,
  timezone: 'Z',
  jsonStrings: true,
  decimalNumbers: false,
} as const;

/** The part of a mysql2 connection config the check reads. */
export interface DecodingConfig {
  dateStrings?: unknown;
  timezone?: unknown;
  jsonStrings?: unknown;
  decimalNumbers?: unknown;
}

/** Names the options of a live zongji connection (`zongji.connection.config`) that would make values inexact. */
export function inexactDecodingOptions(config: DecodingConfig): string[] {
  const wrong: string[] = [];
  if (config.dateStrings !== true) wrong.push('dateStrings must be true');
  if (config.timezone !== 'Z' && config.timezone !== '+00:00') wrong.push("timezone must be 'Z'");
  if (config.jsonStrings !== true) wrong.push('jsonStrings must be true');
  if (config.decimalNumbers === true) wrong.push('decimalNumbers must be false');
  return wrong;
}
