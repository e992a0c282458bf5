import { type SourceSocket, pauseSocket, resumeSocket } from '../../src/source/socket-reads.js';

/** A connection whose reading can be paused (mysql2's Connection: pause() stops handling packets, resume() replays them). */
export interface Pausable {
  pause(): void;
  resume(): void;
}

/**
 * Reference-counted pausing of one connection: it reads only while nobody holds it. Installed over the
 * connection's own pause/resume, so that zongji's internal pause (while it fetches column metadata) and logtap's
 * holds (full queue, schema lookup) cannot resume each other's pause.
 */
export interface PauseGate {
  hold(reason: string): void;
  release(reason: string): void;
  readonly held: boolean;
  /** Called whenever the gate opens (reading resumes). */
  onOpen?: () => void;
}

export function installPauseGate(connection: Pausable, socket?: SourceSocket): PauseGate {
  const pauseConnection = connection.pause.bind(connection);
  const resumeConnection = connection.resume.bind(connection);
  const holds = new Map<string, number>();
  let total = 0;
  // With the socket, a hold also stops its reads in the kernel (src/source/socket-reads.ts); they start again once
  // the packets buffered meanwhile are replayed, unless a handler held the gate again during the replay.
  const pause = () => {
    pauseConnection();
    if (socket) pauseSocket(socket);
  };
  const resume = () => {
    resumeConnection();
    if (socket && total === 0) resumeSocket(socket);
  };
  const gate: PauseGate = {
    get held() {
      return total > 0;
    },
    hold(reason) {
      holds.set(reason, (holds.get(reason) ?? 0) + 1);
      if (++total === 1) pause();
    },
    release(reason) {
      const count = holds.get(reason) ?? 0;
      if (count === 0) return;
      if (count === 1) holds.delete(reason);
      else holds.set(reason, count - 1);
      if (--total === 0) {
        gate.onOpen?.();
        // Replays buffered packets synchronously; a handler may hold the gate again meanwhile.
        resume();
      }
    },
  };
  connection.pause = () => gate.hold('driver');
  connection.resume = () => gate.release('driver');
  return gate;
}
