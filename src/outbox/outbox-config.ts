import { parseTopicTemplate } from '../routing/topic-template.js';

/** The columns of an outbox table, as Debezium's outbox event router names them by default. */
export const DEFAULT_OUTBOX_COLUMNS = { id: 'id', aggregateType: 'aggregatetype', aggregateId: 'aggregateid', eventType: 'type', payload: 'payload' } as const;
export const DEFAULT_OUTBOX_TOPIC = '{prefix}.outbox.{aggregateType}';
export const OUTBOX_TOPIC_PLACEHOLDERS = ['prefix', 'aggregateType', 'schema', 'database', 'table'] as const;

/** Headers of an outbox record besides the `headers` column's entries (which cannot replace them). */
export const OUTBOX_HEADER = { id: 'id', eventType: 'eventType' } as const;

export interface OutboxTableConfig {
  table: string;
  columns: { id: string; aggregateType: string; aggregateId: string; eventType: string; payload: string; headers?: string | undefined };
  topic: string;
  deleteAfterCapture: boolean;
}

/** What is wrong with an outbox topic template, or null. */
export function outboxTopicProblem(text: string): string | null {
  try {
    parseTopicTemplate(text, OUTBOX_TOPIC_PLACEHOLDERS);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

