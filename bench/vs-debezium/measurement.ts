// One measured figure set of one tool (or raw limit) on one workload in one round.
export type Tool = 'logtap' | 'debezium' | 'limit';

export interface Measurement {
  workload: string;
  tool: Tool;
  round: number;
  events: number;
  /** Events per second, CDC process start → last event readable in Kafka (limits: the tool's own run time). */
  eventsPerSecond: number;
  /** Events per second from the tool's own "streaming started" log line (or snapshot start) → last event readable: without the process start. */
  streamingEventsPerSecond: number;
  p50Ms?: number;
  p99Ms?: number;
  peakRssMb?: number;
  /** CPU seconds of the CDC process from its start to the last event of the workload readable in Kafka. */
  cpuSeconds?: number;
  /** What the figure is, for a limit. */
  note?: string;
}
