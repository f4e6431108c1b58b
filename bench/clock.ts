// Wall-clock milliseconds with sub-millisecond precision that agree across the bench's processes.
// `performance.timeOrigin + performance.now()` did not: on a loaded machine a forked child's
// timeOrigin came out 100-200 ms off its parent's (the origin's wall-clock reading is taken apart
// from its monotonic one at start-up), which made a ceiling's latencies negative. Here the monotonic
// clock is anchored to Date.now() at the instant its millisecond ticks over, in each process.
function anchor(): number {
  const start = Date.now();
  let t = Date.now();
  while (t === start) t = Date.now();
  return t - performance.now();
}

const origin = anchor();

export const now = (): number => origin + performance.now();
