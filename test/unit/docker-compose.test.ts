import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

// No Docker engine runs here: these checks hold the settings that logtap depends on in place.
interface Service { image?: string; build?: unknown; command?: string[]; environment?: Record<string, string | number>; depends_on?: Record<string, unknown> }
const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as { services: Record<string, Service> };
const service = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};
/** `-c key=value` (PostgreSQL) and `--key=value` (MariaDB) settings of a service's command line. */
const settings = (s: Service): Map<string, string> => {
  const out = new Map<string, string>();
  for (const arg of s.command ?? []) {
    const m = /^(?:--)?([a-z_-]+)=(.*)$/.exec(arg);
    if (m) out.set(m[1]!.replaceAll('-', '_'), m[2]!);
  }
  return out;
};

describe('docker-compose.yml', () => {
  it('runs PostgreSQL with logical WAL and room for slots', () => {
    const pg = settings(service('postgres'));
    expect(pg.get('wal_level')).toBe('logical');
    expect(Number(pg.get('max_replication_slots'))).toBeGreaterThanOrEqual(1);
    expect(Number(pg.get('max_wal_senders'))).toBeGreaterThanOrEqual(1);
  });

  it('runs MariaDB with a full ROW binlog and GTIDs', () => {
    const my = settings(service('mariadb'));
    expect(my.get('log_bin')).toBeTruthy();
    expect(my.get('binlog_format')).toBe('ROW');
    expect(my.get('binlog_row_image')).toBe('FULL');
    expect(my.get('binlog_row_metadata')).toBe('FULL');
    expect(Number(my.get('server_id'))).toBeGreaterThan(0);
    expect(my.get('gtid_strict_mode')).toBe('ON');
  });

  it('runs Kafka as a single KRaft broker+controller that supports transactions', () => {
    const env = service('kafka').environment ?? {};
    expect(String(env.KAFKA_PROCESS_ROLES).split(',').sort()).toEqual(['broker', 'controller']);
    expect(String(env.KAFKA_CONTROLLER_QUORUM_VOTERS)).toMatch(/^1@kafka:\d+$/);
    expect(String(env.KAFKA_LISTENERS)).toMatch(/PLAINTEXT:\/\/:9092/);
    expect(String(env.KAFKA_LISTENERS)).toMatch(/CONTROLLER:\/\//);
    expect(String(env.KAFKA_ADVERTISED_LISTENERS)).toBe('PLAINTEXT://kafka:9092');
    expect(env.KAFKA_CONTROLLER_LISTENER_NAMES).toBe('CONTROLLER');
    expect(Number(env.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR)).toBe(1);
    expect(Number(env.KAFKA_TRANSACTION_STATE_LOG_MIN_ISR)).toBe(1);
    expect(Number(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR)).toBe(1);
  });

  it('builds logtap from the Dockerfile and starts it after its dependencies', () => {
    const logtap = service('logtap');
    expect(logtap.build).toBe('.');
    expect(Object.keys(logtap.depends_on ?? {}).sort()).toEqual(['kafka', 'mariadb', 'postgres']);
  });
});
