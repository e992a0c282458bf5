import { describe } from 'vitest';
import { mysqlSource, outboxCrashSuite } from './routing-outbox-harness.js';

describe('MariaDB outbox table survives kill -9', () => outboxCrashSuite(mysqlSource, { rows: 5000, kills: 5, streamToken: /^my1:/ }));
