// Wall-clock milliseconds with sub-millisecond precision that agree across the bench's processes.
// `performance.timeOrigin + performance.now()` did not: on a loaded machine a forked child's
// timeOrigin came out 100-200 ms off its parent's, which made a ceiling's latencies negative. Here
// the monotonic clock is anchored to Date.now() at the instants its millisecond ticks over, in each
// process: readings the scheduler interrupted (a wide gap between the two performance.now() around
// Date.now()) are dropped, and of the rest the latest anchor is kept (a late reading only lowers it).
function anchor(): number {
  let best = Number.NEGATIVE_INFINITY;
  let edges = 0;
  let last = Date.now();
  const deadline = performance.now() + 50;
  while (edges < 8 && performance.now() < deadline) {
    const before = performance.now();
    const t = Date.now();
    const after = performance.now();
    if (t !== last) {
      last = t;
      if (after - before < 0.05) {
        edges++;
        best = Math.max(best, t - before);
      }
    }
  }
  return Number.isFinite(best) ? best : Date.now() - performance.now();
}

const origin = anchor();

export const now = (): number => origin + performance.now();
