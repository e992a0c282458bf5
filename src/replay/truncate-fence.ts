import type { PositionOrder } from './replay-target.js';

/** What a reader does with one record of a table topic. */
export type FenceVerdict = 'apply' | 'skip' | 'truncate';

/**
 * Truncates in a topic of several partitions. logtap writes a truncate's marker to every partition of the
 * table's topic, in one Kafka transaction (docs/events.md): within a partition the rows the truncate removed
 * sit before its marker and the rows written after it follow it. Partitions are read interleaved, though, so
 * when the first marker of a truncate is read the other partitions may still hold unread rows it removed.
 * Hence: the first marker of a truncate empties the table, and every other partition it was written to is
 * skipped until its own marker of that truncate — or of a later one: compaction keeps only the latest marker
 * of each partition — has been read. Exact with one partition too (the marker empties the table in order).
 * Memory: a set of partition numbers.
 */
export class TruncateFence {
  /** The position of the latest truncate met. */
  private latest: string | null = null;
  /** Partitions whose marker of `latest` (or a later one) is still unread: their records were removed by it. */
  private readonly behind = new Set<number>();

  /** `order`: the source's position order (undefined: every marker of another position counts as a later truncate). */
  constructor(private readonly order: PositionOrder | undefined) {}

  /** A row or tombstone read from `partition`. */
  row(partition: number): FenceVerdict {
    return this.behind.has(partition) ? 'skip' : 'apply';
  }

  /**
   * A truncate marker read from `partition`, at the truncate's source `position`, written to `partitions`
   * partitions (undefined: an older logtap wrote it to one partition only; it empties the table when read).
   */
  marker(partition: number, position: string, partitions: number | undefined): FenceVerdict {
    const later = this.latest === null ? 1 : this.compare(position, this.latest);
    if ((partitions ?? 1) <= 1) {
      // One partition (or an older logtap's single marker): offset order is the whole story, and a marker read
      // again (at-least-once delivery re-sent its batch) empties the table again, after the re-sent rows.
      if (later > 0) this.latest = position;
      this.behind.clear();
      return 'truncate';
    }
    if (later > 0) {
      this.latest = position;
      this.behind.clear();
      for (let p = 0; p < partitions!; p++) if (p !== partition) this.behind.add(p);
      return 'truncate';
    }
    // This partition's marker of the latest truncate: what follows it was written after the truncate.
    if (later === 0) this.behind.delete(partition);
    return 'skip';
  }

  private compare(a: string, b: string): number {
    if (a === b) return 0;
    if (!this.order) return 1;
    try {
      return this.order.compare(this.order.parse(a), this.order.parse(b));
    } catch {
      // Not positions of this source (never written by logtap): take every other marker for a later truncate.
      return 1;
    }
  }
}
