import { describe, expect, it } from 'vitest';
import { ChangeTranslator } from '../../connectors/postgres/change-translator.js';
import { ResumeFilter } from '../../connectors/postgres/resume-filter.js';
import type { RelationCache } from '../../connectors/postgres/relation-cache.js';
import type { RawPgoutputMessage } from '../../connectors/postgres/raw-pgoutput-plugin.js';
import { WATERMARK_PREFIX, parseWatermarkContent, watermarkContent } from '../../connectors/postgres/watermark-message.js';
import type { Watermark } from '../../src/backfill/backfill-source.js';
import type { SourcePosition } from '../../src/model/change-event.js';
import { silentLogger } from '../../src/logger.js';
import { UnchangedToastReader } from '../../connectors/postgres/unchanged-toast.js';

// Backfill watermarks without a signal table (PostgreSQL): pg_logical_emit_message(true, 'logtap.watermark', …).
const bytes = (text: string) => new TextEncoder().encode(text);

function translate(handlerHasWatermarks: boolean) {
  const marks: Watermark[] = [];
  const commits: SourcePosition[] = [];
  const translator = new ChangeTranslator({
    relations: {} as RelationCache,
    handler: {
      onChange() {}, onHeartbeat() {},
      onCommit(position) { commits.push(position); },
      ...(handlerHasWatermarks ? { onWatermark(m: Watermark) { marks.push(m); } } : {}),
    },
    resume: new ResumeFilter(null),
    startLsn: 0n,
    outboxPrefix: undefined,
    log: silentLogger,
    // No change here lacks a TOASTed value: the reader only keeps the order.
    unchangedToast: 'read-back',
    reader: new UnchangedToastReader({ query: async () => { throw new Error('no read-back expected'); } } as never, silentLogger, undefined, (e) => e),
  });
  return { translator, marks, commits };
}

const transaction = (content: Uint8Array): RawPgoutputMessage[] => [
  { tag: 'begin', commitLsn: 0x1000n, commitTime: 1_700_000_000_000_000n, xid: 77 } as unknown as RawPgoutputMessage,
  { tag: 'message', flags: 1, transactional: true, messageLsn: '0/F00', prefix: WATERMARK_PREFIX, content } as unknown as RawPgoutputMessage,
  { tag: 'commit', flags: 0, commitLsn: 0x1000n, commitEndLsn: 0x1030n, commitTime: 1_700_000_000_000_000n } as unknown as RawPgoutputMessage,
];

describe('PostgreSQL watermark messages', () => {
  it('reach the handler as watermarks at their partial position, inside their transaction', async () => {
    const { translator, marks, commits } = translate(true);
    for (const m of transaction(bytes(watermarkContent({ id: 'w1-close', type: 'snapshot-window-close', data: '{}' })))) await translator.message(m);
    expect(marks).toHaveLength(1);
    expect(marks[0]).toMatchObject({ id: 'w1-close', type: 'snapshot-window-close', data: '{}', txId: '77' });
    expect(marks[0]!.position.display).not.toBe(commits[0]!.display);
    expect(commits).toHaveLength(1);
  });

  it('count as a change whether or not anything takes them, so positions do not depend on the backfill', async () => {
    const a = translate(true);
    const b = translate(false);
    for (const m of transaction(bytes(watermarkContent({ id: 'x', type: 't', data: '' })))) {
      await a.translator.message(m);
      await b.translator.message(m);
    }
    expect(b.marks).toEqual([]);
    expect(a.commits).toEqual(b.commits);
  });

  it('a transaction without changes or messages (PostgreSQL 14 sends those, 15+ does not) is no commit; one with a message is', async () => {
    const { translator, commits } = translate(true);
    const [begin, , commit] = transaction(bytes(''));
    await translator.message(begin!);
    await translator.message(commit!);
    expect(commits).toEqual([]);
    for (const m of transaction(bytes(watermarkContent({ id: 'y', type: 't', data: '' })))) await translator.message(m);
    expect(commits).toHaveLength(1);
  });

  it('ignores content that is not a watermark', () => {
    expect(parseWatermarkContent(bytes('{"id":1}'))).toBeNull();
    expect(parseWatermarkContent(new Uint8Array([0xff]))).toBeNull();
    expect(parseWatermarkContent(bytes(watermarkContent({ id: 'a', type: 'b', data: 'c' })))).toEqual({ id: 'a', type: 'b', data: 'c' });
  });
});
