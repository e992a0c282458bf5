import { LogtapError } from '../errors.js';
import { redactUrl } from '../config/load-config.js';
import type { StreamState } from '../ops/readiness.js';
import type { Checkpoint } from '../pipeline/checkpoint.js';

/** What the console's overview says the daemon is doing. */
export type ConsolePhase = 'starting' | 'snapshotting' | 'streaming' | 'standby' | 'restarting' | 'stopped';

export interface ConsoleError {
  at: number;
  code: string;
  /** The error's one line (fixes are part of logtap's messages); URLs' passwords masked. */
  message: string;
  retriable: boolean;
  /** Recorded by an earlier run beside the checkpoint (logtap offsets show prints it too). */
  recorded?: boolean;
}

/**
 * The daemon's state as the runner reports it (onState, onError, the snapshot phase), for the console's overview.
 * Holds no secret: messages are passed through redactUrl like every user-facing line.
 */
export class ConsoleState {
  private state: StreamState = 'starting';
  private snapshotting = false;
  private error: ConsoleError | null = null;
  private committed: Checkpoint | null = null;
  readonly startedAt = Date.now();

  setState(state: StreamState): void {
    this.state = state;
    if (state !== 'streaming') this.snapshotting = false;
  }

  /** The pipeline runs its initial snapshot (true) or streams from the log (false). */
  setSnapshotting(snapshotting: boolean): void {
    this.snapshotting = snapshotting;
  }

  setError(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.error = {
      at: Date.now(),
      code: err instanceof LogtapError ? err.code : 'UNKNOWN',
      message: redactUrl(message.split('\n')[0] ?? message),
      retriable: err instanceof LogtapError && err.retriable,
    };
  }

  /** The runner's onCheckpoint: the last checkpoint this process committed (its backfill state included). */
  setCheckpoint(checkpoint: Checkpoint): void {
    this.committed = checkpoint;
  }

  lastCheckpoint(): Checkpoint | null {
    return this.committed;
  }

  phase(): ConsolePhase {
    switch (this.state) {
      case 'streaming': return this.snapshotting ? 'snapshotting' : 'streaming';
      case 'backoff': return 'restarting';
      default: return this.state;
    }
  }

  lastError(): ConsoleError | null {
    return this.error;
  }
}
