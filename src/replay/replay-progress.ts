import cliProgress from 'cli-progress';
import type { Logger } from '../logger.js';

/** Replay's progress, per table: a bar on a terminal, structured log lines otherwise. */
export interface ReplayProgress {
  start(table: string, total: number): void;
  advance(table: string, events: number): void;
  finish(table: string): void;
  stop(): void;
}

export const silentProgress: ReplayProgress = { start() {}, advance() {}, finish() {}, stop() {} };

/** A bar per table on stderr (events, events/s). */
export function barProgress(): ReplayProgress {
  const multi = new cliProgress.MultiBar({
    stream: process.stderr,
    format: '{table} |{bar}| {value}/{total} events | {rate} events/s',
    hideCursor: true,
    clearOnComplete: false,
  }, cliProgress.Presets.shades_classic);
  const bars = new Map<string, { bar: cliProgress.SingleBar; started: number; events: number }>();
  return {
    start(table, total) {
      bars.set(table, { bar: multi.create(Math.max(total, 1), 0, { table, rate: 0 }), started: Date.now(), events: 0 });
    },
    advance(table, events) {
      const b = bars.get(table);
      if (!b) return;
      b.events += events;
      const seconds = (Date.now() - b.started) / 1000;
      b.bar.update(b.events, { table, rate: seconds > 0 ? Math.round(b.events / seconds) : 0 });
    },
    finish(table) {
      const b = bars.get(table);
      if (b) b.bar.setTotal(Math.max(b.events, 1));
    },
    stop() {
      multi.stop();
    },
  };
}

/** One log line per table every `everyMs`, and one when it is done. */
export function logProgress(log: Logger, everyMs = 2000): ReplayProgress {
  const tables = new Map<string, { started: number; events: number; total: number; lastLog: number }>();
  const line = (table: string, msg: string) => {
    const t = tables.get(table)!;
    const seconds = (Date.now() - t.started) / 1000;
    log.info({ table, events: t.events, total: t.total, eventsPerSec: seconds > 0 ? Math.round(t.events / seconds) : 0 }, msg);
  };
  return {
    start(table, total) {
      tables.set(table, { started: Date.now(), events: 0, total, lastLog: Date.now() });
      log.info({ table, total }, 'replaying');
    },
    advance(table, events) {
      const t = tables.get(table);
      if (!t) return;
      t.events += events;
      if (Date.now() - t.lastLog >= everyMs) {
        t.lastLog = Date.now();
        line(table, 'replay progress');
      }
    },
    finish(table) {
      if (tables.has(table)) line(table, 'replayed');
    },
    stop() {},
  };
}
