import { describe } from 'vitest';
import { outboxCrashSuite, postgresSource } from './routing-outbox-harness.js';

describe('PostgreSQL outbox table survives kill -9', () => outboxCrashSuite(postgresSource, { rows: 5000, kills: 5, streamToken: /^pg1:/ }));
