// When the web app asks again by itself: a read that failed on the way (the network dropped, the
// server answered 502/503/504 while restarting or while its database was busy) is asked twice more,
// a second and then two apart, so a screen does not stay on "failed" after a moment's hiccup. A
// refusal (any 4xx: a problem with the request, a missing right, a 404, a 429 with its own wait)
// is shown at once: asking again would answer the same, only later.

/** How many times a read is asked again after a transient failure. */
export const TRANSIENT_RETRIES = 2;

/** A failure worth asking again for: no answer at all, or a gateway/unavailable answer. */
export function isTransientFailure(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number') return status === 502 || status === 503 || status === 504;
  // fetch rejects with a TypeError when no answer came (connection refused or reset, offline).
  return error instanceof TypeError;
}

/** TanStack Query's `retry` option: transient failures only, at most TRANSIENT_RETRIES times. */
export function retryTransient(failureCount: number, error: unknown): boolean {
  return failureCount < TRANSIENT_RETRIES && isTransientFailure(error);
}
