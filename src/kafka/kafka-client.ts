import { Kafka, logLevel } from 'kafkajs';

export interface KafkaConnection {
  brokers: string[];
  clientId?: string | undefined;
}

/** One kafkajs client per process; its own logging is off, logtap reports Kafka errors itself. */
export function createKafka(connection: KafkaConnection, purpose: string): Kafka {
  return new Kafka({
    clientId: connection.clientId ?? `logtap-${purpose}`,
    brokers: connection.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 200 },
  });
}
