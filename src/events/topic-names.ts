import type { TableId } from '../model/table-schema.js';

/** `<topicPrefix>.<namespace>.<table>`: one topic per table. */
export const tableTopic = (topicPrefix: string, id: TableId): string => `${topicPrefix}.${id.namespace}.${id.name}`;

/** Compacted topic of every schema logtap wrote with, keyed by fingerprint. */
export const schemaTopic = (topicPrefix: string): string => `${topicPrefix}._schemas`;

/** Compacted topic of the connectors' checkpoints, keyed by connector name. */
export const offsetsTopic = (topicPrefix: string): string => `${topicPrefix}._offsets`;

/** TopicNameStrategy subjects, as Confluent's Schema Registry names them. */
export const keySubject = (topic: string): string => `${topic}-key`;
export const valueSubject = (topic: string): string => `${topic}-value`;
