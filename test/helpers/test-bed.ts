import { readFileSync, existsSync } from 'node:fs';
import { envFile } from '../../scripts/services.mjs';

export interface TestBed {
  pgUrl: string;
  mysqlUrl: string;
  kafkaBrokers: string[];
  /** Confluent-compatible Schema Registry API (Apicurio's ccompat/v7). */
  registryUrl: string;
}

/** Where the test bed's services are: LOGTAP_TEST_* variables win over .services/env. */
export function testBed(): TestBed {
  const fromFile: Record<string, string> = {};
  if (existsSync(envFile)) {
    for (const line of readFileSync(envFile, 'utf8').split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) fromFile[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  const get = (key: string): string => {
    const value = process.env[key] ?? fromFile[key];
    if (!value) throw new Error(`${key} is not set and ${envFile} does not name it: run \`npm run services:up\``);
    return value;
  };
  return {
    pgUrl: get('LOGTAP_TEST_PG_URL'),
    mysqlUrl: get('LOGTAP_TEST_MYSQL_URL'),
    kafkaBrokers: get('LOGTAP_TEST_KAFKA_BROKERS').split(','),
    registryUrl: get('LOGTAP_TEST_REGISTRY_URL'),
  };
}
