// Debezium's JDBC sink connector in a Kafka Connect standalone worker, with Apicurio's Avro converter, assembled from
// Maven Central on first use into ~/.cache/logtap/debezium-jdbc-sink-<version>/ (scripts/debezium-jdbc-sink/pom.xml
// names it), the way bench/vs-debezium caches Debezium's source connectors.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { packageRoot } from '../../src/package-root.js';
import { freePort } from './free-port.js';

export const DEBEZIUM_VERSION = '3.2.0.Final';
export const CONNECT_VERSION = '3.9.1';
/** The newest Apicurio converter whose POMs resolve on Maven Central (3.0.x's parent POM is not there). */
export const APICURIO_CONVERTER_VERSION = '2.6.13.Final';

export interface JdbcSinkInstall { libs: string; plugins: string }

/** The assembled worker and plugins; Maven runs only when the cache is not complete. */
export function assembleJdbcSink(): JdbcSinkInstall {
  const cache = process.env.LOGTAP_DEBEZIUM_SINK_CACHE ?? join(homedir(), '.cache', 'logtap', `debezium-jdbc-sink-${DEBEZIUM_VERSION}`);
  const install = { libs: join(cache, 'libs'), plugins: join(cache, 'plugins') };
  if (existsSync(join(cache, '.complete'))) return install;
  const pom = join(packageRoot(), 'scripts', 'debezium-jdbc-sink', 'pom.xml');
  const tmp = `${cache}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const mvn = (goal: string, ...props: string[]) => execFileSync('mvn', ['-q', '-B', '-Dstyle.color=never', '-f', pom, `-Ddebezium.version=${DEBEZIUM_VERSION}`,
    `-Dkafka.version=${CONNECT_VERSION}`, `-Dapicurio.version=${APICURIO_CONVERTER_VERSION}`, `org.apache.maven.plugins:maven-dependency-plugin:3.8.1:${goal}`, ...props],
  { stdio: ['ignore', 'inherit', 'inherit'] });
  mvn('copy-dependencies', '-Pworker', '-DincludeScope=runtime', `-DoutputDirectory=${join(tmp, 'libs')}`);
  mvn('copy-dependencies', '-Pconverter', '-DincludeScope=runtime', `-DoutputDirectory=${join(tmp, 'plugins', 'apicurio-converter')}`);
  mvn('unpack', `-DoutputDirectory=${join(tmp, 'plugins')}`, `-DmarkersDirectory=${join(tmp, 'markers')}`);
  rmSync(join(tmp, 'markers'), { recursive: true, force: true });
  if (!existsSync(join(tmp, 'plugins', 'debezium-connector-jdbc'))) throw new Error(`Maven did not deliver debezium-connector-jdbc into ${tmp}/plugins`);
  if (!readdirSync(join(tmp, 'plugins', 'apicurio-converter')).some((f) => f.startsWith('apicurio-registry-utils-converter-'))) throw new Error(`Maven did not deliver the Apicurio converter into ${tmp}`);
  if (!readdirSync(join(tmp, 'libs')).some((f) => f.startsWith('connect-runtime-'))) throw new Error(`Maven did not deliver connect-runtime into ${tmp}/libs`);
  writeFileSync(join(tmp, '.complete'), `${DEBEZIUM_VERSION}\n`);
  rmSync(cache, { recursive: true, force: true });
  mkdirSync(dirname(cache), { recursive: true });
  renameSync(tmp, cache);
  return install;
}

const properties = (entries: Record<string, string>) => `${Object.entries(entries).map(([k, v]) => `${k}=${v}`).join('\n')}\n`;

/**
 * Apicurio's AvroConverter reading Confluent framing (magic byte, 4-byte id) as logtap's `encoding.format:
 * confluent` writes it: the id is the one the registry's Confluent API handed out, Apicurio's content id.
 */
export function apicurioAvroConverter(registryUrl: string): Record<string, string> {
  // LOGTAP_TEST_REGISTRY_URL is the Confluent-compatible API (…/apis/ccompat/v7); the converter speaks Apicurio's own.
  const apicurio = registryUrl.replace(/\/apis\/ccompat\/v\d+\/?$/, '/apis/registry/v2');
  const converter: Record<string, string> = {};
  for (const side of ['key', 'value']) {
    Object.assign(converter, {
      [`${side}.converter`]: 'io.apicurio.registry.utils.converter.AvroConverter',
      [`${side}.converter.apicurio.registry.url`]: apicurio,
      [`${side}.converter.apicurio.registry.as-confluent`]: 'true',
      [`${side}.converter.apicurio.registry.use-id`]: 'contentId',
      [`${side}.converter.apicurio.registry.headers.enabled`]: 'false',
    });
  }
  return converter;
}

export interface ConnectWorker {
  child: ChildProcess;
  logFile: string;
  log(): string;
  /** Stops the worker (SIGTERM, then SIGKILL after 20 s) and waits for it. */
  stop(): Promise<void>;
}

/** A Connect standalone worker running the given sink connectors (each a properties map with `name`). */
export async function startConnectWorker(install: JdbcSinkInstall, brokers: string, connectors: Array<Record<string, string>>, worker: Record<string, string>): Promise<ConnectWorker> {
  const dir = mkdtempSync(join(tmpdir(), 'logtap-jdbc-sink-'));
  const files = connectors.map((connector, i) => {
    const file = join(dir, `connector-${i}.properties`);
    writeFileSync(file, properties(connector));
    return file;
  });
  const workerFile = join(dir, 'worker.properties');
  writeFileSync(workerFile, properties({
    'bootstrap.servers': brokers,
    'offset.storage.file.filename': join(dir, 'offsets.dat'),
    'plugin.path': install.plugins,
    listeners: `http://127.0.0.1:${await freePort()}`,
    'offset.flush.interval.ms': '1000',
    'consumer.auto.offset.reset': 'earliest',
    'consumer.max.poll.interval.ms': '300000',
    ...worker,
  }));
  const log4j = join(dir, 'log4j.properties');
  writeFileSync(log4j, properties({
    'log4j.rootLogger': 'INFO, stdout',
    'log4j.appender.stdout': 'org.apache.log4j.ConsoleAppender',
    'log4j.appender.stdout.layout': 'org.apache.log4j.PatternLayout',
    'log4j.appender.stdout.layout.ConversionPattern': '[%d] %p %m (%c)%n',
    'log4j.logger.org.reflections': 'ERROR',
    'log4j.logger.org.apache.kafka.clients': 'WARN',
    'log4j.logger.org.hibernate': 'WARN',
    'log4j.logger.com.mchange': 'WARN',
  }));
  const logFile = join(dir, 'connect.log');
  const out = openSync(logFile, 'a');
  const child = spawn('java', ['-Xms128M', '-Xmx768M', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true', `-Dlog4j.configuration=file:${log4j}`,
    '-cp', `${install.libs}/*`, 'org.apache.kafka.connect.cli.ConnectStandalone', workerFile, ...files], { stdio: ['ignore', out, out] });
  closeSync(out);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return {
    child,
    logFile,
    log: () => readFileSync(logFile, 'utf8'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
