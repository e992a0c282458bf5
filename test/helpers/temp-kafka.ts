import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleKafka, kafkaBrokerReady, kafkaJavaArgs, kafkaServerProperties } from '../../scripts/services.mjs';
import { freePort } from './free-port.js';
import { waitFor } from './wait.js';

export interface TempKafka {
  /** host:port of the broker, for `kafka.brokers`. */
  brokers: string;
  /** host:port of the SASL_PLAINTEXT listener, with `secure.sasl`. */
  saslBrokers?: string;
  /** host:port of the SSL listener, with `secure.tls`. */
  tlsBrokers?: string;
  /** Clean shutdown (SIGTERM, waits for the JVM to exit); data and ports stay for start(). */
  stop(): Promise<void>;
  /** SIGKILL, as a crash; data stays for start(). */
  kill(): void;
  /** Starts the broker again on the same ports and data directory; resolves once it serves requests. */
  start(): Promise<void>;
  /** Stops the broker and deletes its data. */
  close(): Promise<void>;
}

// A small heap: the machine is shared and a test broker holds little data (later -X flags win in the JVM).
const SMALL_HEAP = ['-Xms128m', '-Xmx512m'];

/**
 * A private single-node KRaft broker (from the jars scripts/services.mjs assembles) on free ports in a temp
 * dir, for tests that stop, kill or restart Kafka without touching the shared test bed. Transactions work on
 * it (replication factors and min.isr of the internal topics are 1).
 */
export async function startTemporaryKafka(opts: { extraConfig?: Record<string, string>; secure?: SecureListeners } = {}): Promise<TempKafka> {
  await assembleKafka();
  const dir = mkdtempSync(join(tmpdir(), 'logtap-kafka-'));
  const data = join(dir, 'data');
  const propsFile = join(dir, 'server.properties');
  const logFile = join(dir, 'server.log');
  const port = await freePort();
  const controllerPort = await freePort();
  const brokers = `127.0.0.1:${port}`;
  const secure = opts.secure ? await secureListenerConfig(opts.secure, port, controllerPort) : undefined;
  const extra = Object.entries({ ...secure?.config, ...opts.extraConfig }).map(([k, v]) => `${k}=${v}`);
  writeFileSync(propsFile, kafkaServerProperties({ port, controllerPort, dataDir: data }) + extra.join('\n') + '\n');

  // A KRaft cluster id is 16 random bytes in base64url; like Kafka's Uuid.randomUuid(), never one starting
  // with '-' (the storage tool would read it as an option). Formatting the data dir needs one JVM run.
  let clusterId: string;
  do clusterId = randomBytes(16).toString('base64url'); while (clusterId.startsWith('-'));
  try {
    await runJava(kafkaJavaArgs('kafka.tools.StorageTool', ['format', '-t', clusterId, '-c', propsFile, ...(secure?.formatArgs ?? [])], { logsDir: dir, jvm: SMALL_HEAP }), logFile);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    if (child) throw new Error('the temporary Kafka is already running');
    const out = openSync(logFile, 'a');
    const proc = spawn('java', kafkaJavaArgs('kafka.Kafka', [propsFile], { logsDir: dir, jvm: SMALL_HEAP }), { stdio: ['ignore', out, out] });
    closeSync(out);
    child = proc;
    exited = new Promise((done) => proc.once('exit', () => { if (child === proc) child = undefined; done(); }));
    let ready = false;
    // A JVM that exits during start (bad config, port taken) fails at once, not after the timeout.
    const died = exited.then(() => { if (!ready) throw new Error(`the temporary Kafka exited during start: ${tail(logFile)}`); });
    died.catch(() => {});
    await Promise.race([
      waitFor('the temporary Kafka broker', async () => ((await kafkaBrokerReady(brokers).catch(() => false)) ? true : undefined), 120_000, 250),
      died,
    ]);
    ready = true;
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc) return;
    proc.kill('SIGTERM');
    const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 60_000))]);
    if (!done) {
      proc.kill('SIGKILL');
      await exited;
    }
  };

  try {
    await start();
  } catch (err) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    brokers,
    ...(secure?.saslBrokers ? { saslBrokers: secure.saslBrokers } : {}),
    ...(secure?.tlsBrokers ? { tlsBrokers: secure.tlsBrokers } : {}),
    stop,
    kill() { child?.kill('SIGKILL'); },
    start: async () => {
      if (child) await exited; // after kill(): the old JVM must be gone before its ports are reused
      await start();
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function runJava(args: string[], logFile: string): Promise<void> {
  return new Promise((done, fail) => {
    const out = openSync(logFile, 'a');
    const proc = spawn('java', args, { stdio: ['ignore', out, out] });
    closeSync(out);
    proc.once('error', fail);
    proc.once('exit', (code) => (code === 0 ? done() : fail(new Error(`java ${args.slice(-4).join(' ')} failed (exit ${code}): ${tail(logFile)}`))));
  });
}

const tail = (file: string): string => {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' | ');
  } catch {
    return '(no log)';
  }
};

/** Listeners beside the plain one (which stays for readiness checks and admin work). */
export interface SecureListeners {
  /** A SASL_PLAINTEXT listener: PLAIN users (JAAS) and SCRAM-SHA-256 users (credentials stored at format time). */
  sasl?: { plain?: Record<string, string>; scramSha256?: Record<string, string> };
  /** An SSL listener serving this PEM certificate and unencrypted PKCS#8 key. */
  tls?: { certFile: string; keyFile: string };
}

async function secureListenerConfig(secure: SecureListeners, port: number, controllerPort: number) {
  const listeners = [`PLAINTEXT://127.0.0.1:${port}`];
  const map = ['PLAINTEXT:PLAINTEXT', 'CONTROLLER:PLAINTEXT'];
  const config: Record<string, string> = {};
  const formatArgs: string[] = [];
  let saslBrokers: string | undefined;
  let tlsBrokers: string | undefined;
  if (secure.sasl) {
    saslBrokers = `127.0.0.1:${await freePort()}`;
    listeners.push(`SASL_PLAINTEXT://${saslBrokers}`);
    map.push('SASL_PLAINTEXT:SASL_PLAINTEXT');
    const plainUsers = Object.entries(secure.sasl.plain ?? {}).map(([user, password]) => `user_${user}="${password}"`).join(' ');
    config['sasl.enabled.mechanisms'] = 'PLAIN,SCRAM-SHA-256';
    config['listener.name.sasl_plaintext.plain.sasl.jaas.config'] = `org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`;
    config['listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config'] = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
    for (const [user, password] of Object.entries(secure.sasl.scramSha256 ?? {})) formatArgs.push('--add-scram', `SCRAM-SHA-256=[name=${user},password=${password}]`);
  }
  if (secure.tls) {
    tlsBrokers = `127.0.0.1:${await freePort()}`;
    listeners.push(`SSL://${tlsBrokers}`);
    map.push('SSL:SSL');
    // Kafka reads a PEM key store as one file: the private key, then the certificate chain.
    const keyStore = `${secure.tls.keyFile}.keystore.pem`;
    writeFileSync(keyStore, readFileSync(secure.tls.keyFile, 'utf8') + readFileSync(secure.tls.certFile, 'utf8'));
    config['listener.name.ssl.ssl.keystore.type'] = 'PEM';
    config['listener.name.ssl.ssl.keystore.location'] = keyStore;
  }
  // Later keys win in a Java properties file: these replace the plain-only listener settings.
  config.listeners = [...listeners, `CONTROLLER://127.0.0.1:${controllerPort}`].join(',');
  config['advertised.listeners'] = listeners.join(',');
  config['listener.security.protocol.map'] = map.join(',');
  return { config, formatArgs, saslBrokers, tlsBrokers };
}
