// The harness's side of topic-watch.js: when the workload's last event became readable in Kafka.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { packageRoot } from '../../src/package-root.js';
import { spawnOwned } from './cdc-process.js';

export class ReadableWatch {
  /** Epoch ms at which the watched-for event was read; 0 until then. */
  doneAt = 0;
  private out = '';

  constructor(brokers: string, topic: string, until: { find: string } | { count: number }) {
    const args = 'find' in until ? ['find', until.find] : ['count', String(until.count)];
    const child = spawnOwned(process.execPath, [join(packageRoot(), 'dist-bench', 'bench', 'vs-debezium', 'topic-watch.js'), brokers, topic, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString();
      const m = /done (\d+)/.exec(this.out);
      if (m) this.doneAt = Number(m[1]);
    });
  }

  /** Joined its group: from here on its reading time does not delay the measurement's start. */
  async ready(): Promise<void> {
    const deadline = Date.now() + 120_000;
    while (!this.out.includes('ready')) {
      if (Date.now() > deadline) throw new Error('the topic watcher did not join its consumer group within 120 s');
      await sleep(20);
    }
  }
}
