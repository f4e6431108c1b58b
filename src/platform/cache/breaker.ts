// A circuit breaker per family of cached values: after `failures` loads in a row fail it opens, and
// for `resetMs` no load runs (the cache serves stale values, or fails fast with the error that
// opened it); then one load probes (half-open): success closes it, failure opens it again.

export type BreakerState = 'closed' | 'open' | 'half-open';

export class Breaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private lastError: unknown = null;
  state: BreakerState = 'closed';

  private readonly settings: () => { breakerFailures: number; breakerResetMs: number };
  private readonly now: () => number;

  /** `settings` is read at each use (tests and operators may change it on a running cache). */
  constructor(
    settings: () => { breakerFailures: number; breakerResetMs: number },
    now: () => number = Date.now,
  ) {
    this.settings = settings;
    this.now = now;
  }

  /** Whether a load may run now; in half-open, only the one probe may. */
  allow(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open' && this.now() - this.openedAt >= this.settings().breakerResetMs) {
      this.state = 'half-open';
      this.probing = false;
    }
    if (this.state === 'half-open' && !this.probing) {
      this.probing = true;
      return true;
    }
    return false;
  }

  /** The error that opened the breaker (thrown to callers while it is open and nothing stale exists). */
  get error(): unknown {
    return this.lastError;
  }

  /**
   * Ends a half-open probe that neither loaded nor failed (another process held the load lock and
   * the caller got a stale value, or nothing): the next load may probe. Without it the breaker
   * would stay half-open, refusing every load, for good.
   */
  abandon(): void {
    if (this.state === 'half-open') this.probing = false;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    this.state = 'closed';
  }

  failure(err: unknown): void {
    this.lastError = err;
    this.failures++;
    this.probing = false;
    if (this.state === 'half-open' || this.failures >= this.settings().breakerFailures) {
      this.state = 'open';
      this.openedAt = this.now();
    }
  }
}
