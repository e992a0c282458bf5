import type { SnapshotChunk, SnapshotSource, SourceSnapshot } from '../../src/source/snapshot-source.js';
import type { ForeignKeyCascades } from './foreign-key-cascades.js';
import type { MysqlSourceSettings } from './mysql-source-url.js';
import { openSourceSession } from './source-session.js';

/**
 * The snapshot source, with its rows shown to the foreign-key cascades as they are read: the cascade index is
 * prepared (read back from the topics) before the snapshot hands anything over, then follows every snapshot row.
 */
export function observeSnapshotRows(source: SnapshotSource, settings: MysqlSourceSettings, cascades: ForeignKeyCascades): SnapshotSource {
  return {
    isSnapshotPosition: (position) => source.isSnapshotPosition(position),
    async open(request) {
      const session = await openSourceSession(settings);
      try {
        await cascades.prepare(session.runner, request.signal);
      } finally {
        await session.close();
      }
      const snapshot = await source.open(request);
      if (!cascades.indexSize()) return snapshot;
      return observed(snapshot, cascades);
    },
  };
}

function observed(snapshot: SourceSnapshot, cascades: ForeignKeyCascades): SourceSnapshot {
  const observeChunk = (chunk: SnapshotChunk): SnapshotChunk => ({
    table: chunk.table,
    display: chunk.display,
    done: chunk.done,
    async *pages(signal) {
      for await (const page of chunk.pages(signal)) {
        for (const row of page.rows) cascades.observe({ table: chunk.table.id, op: 'r', after: row });
        yield page;
      }
    },
  });
  return {
    get start() { return snapshot.start; },
    get streamFrom() { return snapshot.streamFrom; },
    get parallelism() { return snapshot.parallelism; },
    get consistency() { return snapshot.consistency; },
    async nextChunk() {
      const chunk = await snapshot.nextChunk();
      return chunk === null ? null : observeChunk(chunk);
    },
    close: () => snapshot.close(),
  };
}
