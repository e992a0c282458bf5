import { describe } from 'vitest';
import { postgresSource, routingOutboxSuite } from './routing-outbox-harness.js';

describe('PostgreSQL: topic names, routes and outbox tables', () => routingOutboxSuite(postgresSource));
