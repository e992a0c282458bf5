/** A source connection's socket as its driver holds it (a net.Socket, or a tls.TLSSocket over one). */
export interface SourceSocket {
  pause(): unknown;
  resume(): unknown;
  /** net.Socket's libuv handle (Node's own backpressure stops and restarts its reads the same way). */
  _handle?: { reading?: boolean; readStop?(): number; readStart?(): number } | null;
}

/**
 * Stops reading a source connection's socket (the replication stream, the binlog dump) at its handle: a paused
 * net.Socket goes on reading into its buffer up to its high-water mark, a wake-up per arriving message, which live is
 * much of the process's CPU on a VM. The handle is stopped and started as Node's own backpressure does (net.js:
 * `_handle.reading`, readStop, readStart); without such a handle this is a plain pause.
 */
export function pauseSocket(socket: SourceSocket | undefined): void {
  if (!socket) return;
  socket.pause();
  const handle = socket._handle;
  if (handle?.reading && typeof handle.readStop === 'function' && typeof handle.readStart === 'function') {
    handle.reading = false;
    handle.readStop();
  }
}

export function resumeSocket(socket: SourceSocket | undefined): void {
  if (!socket) return;
  const handle = socket._handle;
  if (handle && handle.reading === false && typeof handle.readStart === 'function') {
    handle.reading = true;
    const err = handle.readStart();
    if (err) (socket as unknown as { destroy(e: Error): void }).destroy(new Error(`source connection: socket read failed (${err})`));
  }
  socket.resume();
}
