import { readFileSync } from 'node:fs';
import { Kafka, type SASLOptions, logLevel } from 'kafkajs';
import { ConfigError } from '../errors.js';

export interface KafkaConnection {
  brokers: string[];
  clientId?: string | undefined;
  /** TLS when present; PEM file paths (absent: the system's CAs, no client certificate). */
  ssl?: { ca?: string | undefined; cert?: string | undefined; key?: string | undefined; rejectUnauthorized?: boolean | undefined } | undefined;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | undefined;
}

/** One kafkajs client per process; its own logging is off, logtap reports Kafka errors itself. */
export function createKafka(connection: KafkaConnection, purpose: string, tuning: { retries?: number } = {}): Kafka {
  return new Kafka({
    clientId: connection.clientId ?? `logtap-${purpose}`,
    brokers: connection.brokers,
    ...(connection.ssl ? { ssl: tlsOptions(connection.ssl) } : {}),
    ...(connection.sasl ? { sasl: { mechanism: connection.sasl.mechanism, username: connection.sasl.username, password: connection.sasl.password } as SASLOptions } : {}),
    logLevel: logLevel.NOTHING,
    retry: { retries: tuning.retries ?? 5, initialRetryTime: 200 },
  });
}

/** kafka.ssl → Node TLS options, the PEM files read now (a missing file is a config error, not an outage). */
function tlsOptions(ssl: NonNullable<KafkaConnection['ssl']>): { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean } {
  const pem = (key: 'ca' | 'cert' | 'key'): { [k: string]: string } => {
    const file = ssl[key];
    if (file === undefined) return {};
    try {
      return { [key]: readFileSync(file, 'utf8') };
    } catch (err) {
      throw new ConfigError(`kafka.ssl.${key}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): expected a PEM file`);
    }
  };
  return { ...pem('ca'), ...pem('cert'), ...pem('key'), rejectUnauthorized: ssl.rejectUnauthorized ?? true };
}
