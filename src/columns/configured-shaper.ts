import { ConfigError } from '../errors.js';
import type { LogtapConfig } from '../config/config-schema.js';
import { tableSettingsFor, tableSettingsKeyFor } from '../config/table-settings.js';
import { TableShaper } from './table-shaper.js';

/**
 * The column shaping a config asks for, or null when no entry of `tables:` sets columns. A hash mask needs its
 * salt in the environment (`masking.saltEnv`): without it, a ConfigError before anything is read or written.
 */
export function configuredShaper(config: Pick<LogtapConfig, 'tables' | 'masking'>, env: NodeJS.ProcessEnv = process.env): TableShaper | null {
  const entries = Object.entries(config.tables).filter(([, s]) => s.columns !== undefined);
  if (entries.length === 0) return null;
  const hashing = entries.find(([, s]) => Object.values(s.columns?.mask ?? {}).includes('hash'));
  const salt = env[config.masking.saltEnv];
  if (hashing && !salt) {
    throw new ConfigError(`tables.${JSON.stringify(hashing[0])}.columns.mask uses hash, but the environment variable ${config.masking.saltEnv} (masking.saltEnv) holding its salt is not set — set it to a secret (the same for every run, or hashes change)`);
  }
  return new TableShaper((id) => {
    const columns = tableSettingsFor(config, id.namespace, id.name)?.columns;
    return columns ? { key: tableSettingsKeyFor(config, id.namespace, id.name)!, columns } : undefined;
  }, salt);
}
