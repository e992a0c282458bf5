/**
 * Calls `write` `rate` times a second for `seconds`, in ticks of 10 ms (rate/100 calls per tick, without
 * waiting for earlier calls), then waits for every call to finish: a fixed-rate load for latency phases.
 */
export async function writeAtRate(write: () => Promise<unknown>, rate: number, seconds: number): Promise<void> {
  const perTick = rate / 100;
  const end = Date.now() + seconds * 1000;
  let owed = 0;
  const inFlight = new Set<Promise<unknown>>();
  while (Date.now() < end) {
    owed += perTick;
    while (owed >= 1) {
      owed--;
      const p: Promise<unknown> = write().finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await Promise.all(inFlight);
}
