import { describe } from 'vitest';
import { mysqlSource, routingOutboxSuite } from './routing-outbox-harness.js';

describe('MariaDB: topic names, routes and outbox tables', () => routingOutboxSuite(mysqlSource));
