import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

// No Docker engine runs here: these checks hold the settings that logtap depends on in place.
interface Service { image?: string; build?: unknown; command?: string[]; environment?: Record<string, string | number>; depends_on?: Record<string, unknown>; volumes?: string[]; profiles?: string[]; ports?: string[] }
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

  it('runs Kafka as a single KRaft broker+controller that supports transactions, reachable from the containers and from the host', () => {
    const env = service('kafka').environment ?? {};
    expect(String(env.KAFKA_PROCESS_ROLES).split(',').sort()).toEqual(['broker', 'controller']);
    expect(String(env.KAFKA_CONTROLLER_QUORUM_VOTERS)).toMatch(/^1@kafka:\d+$/);
    const listeners = new Map(String(env.KAFKA_LISTENERS).split(',').map((l) => [l.split('://')[0]!, l.split(':').at(-1)!]));
    const advertised = new Map(String(env.KAFKA_ADVERTISED_LISTENERS).split(',').map((l) => [l.split('://')[0]!, l.split('://')[1]!]));
    const protocols = new Map(String(env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP).split(',').map((l) => l.split(':') as [string, string]));
    // Every advertised listener is a listener with a protocol; containers get the service name, the host localhost
    // on a published port.
    for (const [name, address] of advertised) {
      expect(listeners.get(name), name).toBe(address.split(':')[1]);
      expect(protocols.get(name), name).toBe('PLAINTEXT');
    }
    expect(advertised.get('INTERNAL')).toBe('kafka:29092');
    expect(advertised.get('EXTERNAL')).toBe('localhost:9092');
    expect(service('kafka').ports).toContain('9092:9092');
    expect(listeners.has('CONTROLLER')).toBe(true);
    expect(advertised.has('CONTROLLER')).toBe(false);
    expect(env.KAFKA_CONTROLLER_LISTENER_NAMES).toBe('CONTROLLER');
    expect(env.KAFKA_INTER_BROKER_LISTENER_NAME).toBe('INTERNAL');
    expect(Number(env.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR)).toBe(1);
    expect(Number(env.KAFKA_TRANSACTION_STATE_LOG_MIN_ISR)).toBe(1);
    expect(Number(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR)).toBe(1);
  });

  it('builds logtap from the Dockerfile, once per database, started after its dependencies, on Kafka\'s internal listener', () => {
    const pg = service('logtap');
    const my = service('logtap-mariadb');
    for (const s of [pg, my]) {
      expect(s.build).toBe('.');
      expect(s.environment?.LOGTAP_KAFKA_BROKERS).toBe('kafka:29092');
      // The healthcheck runs inside the container, the published port from outside it: not the default 127.0.0.1.
      expect(s.environment?.LOGTAP_HTTP_HOST).toBe('0.0.0.0');
    }
    expect(Object.keys(pg.depends_on ?? {}).sort()).toEqual(['kafka', 'postgres']);
    expect(Object.keys(my.depends_on ?? {}).sort()).toEqual(['kafka', 'mariadb']);
  });

  it('runs logtap under the least-privilege roles its init scripts create, never as a superuser', () => {
    const pgUrl = new URL(String(service('logtap').environment?.LOGTAP_SOURCE_URL));
    const myUrl = new URL(String(service('logtap-mariadb').environment?.LOGTAP_SOURCE_URL));
    expect(pgUrl.username).toBe('logtap');
    expect(myUrl.username).toBe('logtap');
    // The statements, without their comments.
    const statements = (file: string) => readFileSync(new URL(`../../deploy/compose/${file}`, import.meta.url), 'utf8').split('\n').filter((l) => !l.startsWith('--')).join('\n');
    const pgInit = statements('postgres-init.sql');
    const myInit = statements('mariadb-init.sql');
    expect(pgInit).toContain(`CREATE ROLE logtap WITH LOGIN REPLICATION PASSWORD '${decodeURIComponent(pgUrl.password)}'`);
    expect(pgInit).not.toMatch(/SUPERUSER/i);
    // The publication is the one logtap derives from its name (logtap_<name>).
    expect(pgInit).toContain(`CREATE PUBLICATION logtap_${service('logtap').environment?.LOGTAP_NAME} FOR ALL TABLES`);
    expect(myInit).toContain(`CREATE USER 'logtap'@'%' IDENTIFIED BY '${decodeURIComponent(myUrl.password)}'`);
    expect(myInit).not.toMatch(/ALL PRIVILEGES|SUPER/i);
    // The images run the scripts on first start.
    expect(service('postgres').volumes).toContain('./deploy/compose/postgres-init.sql:/docker-entrypoint-initdb.d/10-logtap.sql:ro');
    expect(service('mariadb').volumes).toContain('./deploy/compose/mariadb-init.sql:/docker-entrypoint-initdb.d/10-logtap.sql:ro');
  });

  it('offers the Schema Registry as an optional profile', () => {
    expect(service('registry').profiles).toEqual(['registry']);
  });
});
