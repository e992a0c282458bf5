// How far a topic has got: the sum of its partitions' high watermarks. For Debezium (no transactions, so no
// control records) this is the number of records written and acknowledged (acks=all); a record below the
// high watermark is readable.
import type { Admin } from 'kafkajs';

export async function recordsIn(admin: Admin, topic: string): Promise<number> {
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } catch {
    return 0; // not created yet
  }
}
