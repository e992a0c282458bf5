import { randomBytes } from 'node:crypto';

/** A name unique to one test, valid as a PostgreSQL/MariaDB identifier, slot name and Kafka topic. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`.toLowerCase();
}
