/** The replication connection's socket, as pg holds it (a net.Socket, or a tls.TLSSocket over one). */
export interface ReplicationSocket {
  pause(): unknown;
  resume(): unknown;
  /** net.Socket's libuv handle (Node's own backpressure stops and restarts its reads the same way). */
  _handle?: { reading?: boolean; readStop?(): number; readStart?(): number } | null;
}

/**
 * Stops reading the replication socket at the handle: a paused net.Socket goes on reading into its buffer (up to its
 * high-water mark), a wake-up per arriving message, which live is much of the process's CPU on a VM. The handle is
 * stopped and started as Node's own backpressure does (net.js: `_handle.reading`, readStop, readStart).
 */
export function pauseSocket(socket: ReplicationSocket | undefined): void {
  if (!socket) return;
  socket.pause();
  const handle = socket._handle;
  if (handle?.reading && typeof handle.readStop === 'function' && typeof handle.readStart === 'function') {
    handle.reading = false;
    handle.readStop();
  }
}

export function resumeSocket(socket: ReplicationSocket | undefined): void {
  if (!socket) return;
  const handle = socket._handle;
  if (handle && handle.reading === false && typeof handle.readStart === 'function') {
    handle.reading = true;
    const err = handle.readStart();
    if (err) (socket as unknown as { destroy(e: Error): void }).destroy(new Error(`replication socket: read failed (${err})`));
  }
  socket.resume();
}
