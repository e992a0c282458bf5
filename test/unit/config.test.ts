import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, loadTopicsConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'logtap-config-'));
let n = 0;
const file = (text: string): string => {
  const path = join(dir, `c${n++}.yaml`);
  writeFileSync(path, text);
  return path;
};
const minimal = `
name: shop-pg
source:
  url: postgres://app:s3cret@127.0.0.1:5432/shop
  tables: [public.orders]
kafka:
  brokers: [127.0.0.1:9092]
topicPrefix: shop
`;

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('reads the minimal contract and fills the defaults', () => {
    const c = loadConfig({ file: file(minimal), env: {} });
    expect(c).toMatchObject({
      name: 'shop-pg', source: { url: 'postgres://app:s3cret@127.0.0.1:5432/shop', tables: ['public.orders'] },
      kafka: { brokers: ['127.0.0.1:9092'] }, topicPrefix: 'shop', envelope: 'entity', delivery: 'exactly-once',
      encoding: { format: 'single-object' }, schemaEvolution: { onIncompatible: 'fail' }, toast: { unchanged: 'read-back' },
    });
    expect(c.batch.maxRecords).toBeGreaterThan(0);
  });

  it('expands ${VAR} from the environment, and LOGTAP_* variables and flags override the file in that order', () => {
    const path = file(minimal.replace('s3cret', '${DB_PASSWORD}'));
    const env = { DB_PASSWORD: 'from-env', LOGTAP_KAFKA_BROKERS: 'k1:9092, k2:9092', LOGTAP_TOPIC_PREFIX: 'env-prefix' };
    const c = loadConfig({ file: path, env, overrides: { topicPrefix: 'flag-prefix' } });
    expect(c.source.url).toBe('postgres://app:from-env@127.0.0.1:5432/shop');
    expect(c.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(c.topicPrefix).toBe('flag-prefix');
  });

  const bad: Array<[string, string, RegExp]> = [
    ['a missing name', minimal.replace('name: shop-pg\n', ''), /^name in .*: .*\(got nothing\)$/],
    ['a broker without a port', minimal.replace('127.0.0.1:9092', 'localhost'), /^kafka\.brokers\.0 in .*: expected host:port \(got "localhost"\)$/],
    ['an unknown key', `${minimal}\ntopicprefix: x\n`, /^unknown setting topicprefix in .*: remove it or check its spelling$/],
    ['an unknown nested key', minimal.replace('  tables:', '  tabels:'), /^unknown setting source\.tabels in /],
    ['an unknown URL scheme, with the password hidden', minimal.replace('postgres://', 'oracle://'), /^source\.url in .*: expected a postgres:\/\/, mysql:\/\/ or mariadb:\/\/ URL \(got "oracle:\/\/app:\*\*\*@127\.0\.0\.1:5432\/shop"\)$/],
    ['a table without its namespace', minimal.replace('[public.orders]', '[orders]'), /^source\.tables\.0 in .*: expected namespace\.table \(got "orders"\)$/],
    ['confluent encoding without a registry', `${minimal}\nencoding:\n  format: confluent\n`, /^encoding\.registryUrl in .*: required when encoding\.format is confluent/],
    ['an unknown envelope', `${minimal}\nenvelope: fat\n`, /^envelope in .*: .*"fat"/],
    ['an unknown TOAST policy', `${minimal}\ntoast:\n  unchanged: guess\n`, /^toast\.unchanged in .*: .*"guess"/],
    ['a batch size of zero', `${minimal}\nbatch:\n  maxRecords: 0\n`, /^batch\.maxRecords in .*: .*\(got 0\)$/],
    ['broken YAML', 'name: [unclosed', /is not valid YAML/],
    ['a list at the top level', '- a\n- b\n', /must hold a mapping of settings/],
  ];
  it.each(bad)('refuses %s in one clear line', (_, text, expected) => {
    const error = errorOf(() => loadConfig({ file: file(text), env: {} }));
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.message).toMatch(expected);
    expect(error.message).not.toContain('s3cret');
  });

  it('names a ${VAR} that is not set', () => {
    const error = errorOf(() => loadConfig({ file: file(minimal.replace('s3cret', '${NOPE}')), env: {} }));
    expect(error.message).toMatch(/uses \$\{NOPE\}, but the environment variable NOPE is not set/);
  });

  it('names a config file that cannot be read', () => {
    expect(errorOf(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} })).message).toMatch(/cannot read config file .*missing\.yaml: ENOENT/);
  });

  it('reads only kafka, topicPrefix and the topic names for topic tools, from a full config or from flags', () => {
    const topics = { partitions: 1, name: '{prefix}.{schema}.{table}', routes: [] };
    expect(loadTopicsConfig({ file: file(minimal), env: {} })).toEqual({ kafka: { brokers: ['127.0.0.1:9092'] }, topicPrefix: 'shop', topics });
    expect(loadTopicsConfig({ env: {}, overrides: { 'kafka.brokers': ['b:1'], topicPrefix: 'p' } })).toEqual({ kafka: { brokers: ['b:1'] }, topicPrefix: 'p', topics });
  });
});
