// Brute-force protection for logins: failures are counted per account (e-mail, whether or not it
// exists, so the lock reveals nothing) and per client IP. Past a threshold each further failure
// locks for twice as long as the last, from LOCKOUT_BASE up to LOCKOUT_MAX. A successful login
// clears the account's count; the IP's count fades after an hour.
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../../config.ts';
import { AppError } from '../../platform/errors.ts';
import type { LimiterFactory } from '../../platform/http/rate-limit.ts';
import { IDENTITY } from './messages.ts';

const DAY = 86_400;
const HOUR = 3_600;
const COUNT_CEILING = 1_000_000; // failure counters never "run out"; they only count

export class LoginLockout {
  private readonly accountFailures: RateLimiterAbstract;
  private readonly ipFailures: RateLimiterAbstract;
  private readonly accountLock: RateLimiterAbstract;
  private readonly ipLock: RateLimiterAbstract;
  private readonly policy: Config['lockout'];

  constructor(factory: LimiterFactory, policy: Config['lockout']) {
    this.policy = policy;
    this.accountFailures = factory({
      name: 'login-fail-account',
      points: COUNT_CEILING,
      durationSeconds: DAY,
    });
    this.ipFailures = factory({ name: 'login-fail-ip', points: COUNT_CEILING, durationSeconds: HOUR });
    this.accountLock = factory({ name: 'login-lock-account', points: 1, durationSeconds: 1 });
    this.ipLock = factory({ name: 'login-lock-ip', points: 1, durationSeconds: 1 });
  }

  private static key(email: string): string {
    return email.trim().toLowerCase();
  }

  /** Throws 429 account-locked if the account or the IP is locked now. */
  async assertNotLocked(email: string, ip: string): Promise<void> {
    const [account, address] = await Promise.all([
      this.accountLock.get(LoginLockout.key(email)),
      this.ipLock.get(ip),
    ]);
    const waitMs = Math.max(
      account && account.consumedPoints > 1 ? account.msBeforeNext : 0,
      address && address.consumedPoints > 1 ? address.msBeforeNext : 0,
    );
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      throw new AppError('account-locked', IDENTITY.tooManyFailedLogins({ seconds }), {
        retryAfterSeconds: seconds,
      });
    }
  }

  /** Counts a failure; returns the lock it started, in seconds (0 when none). */
  async recordFailure(email: string, ip: string): Promise<number> {
    const [account, address] = await Promise.all([
      this.accountFailures.penalty(LoginLockout.key(email), 1),
      this.ipFailures.penalty(ip, 1),
    ]);
    const lockFor = (count: number, threshold: number) =>
      count < threshold
        ? 0
        : Math.min(this.policy.maxSeconds, this.policy.baseSeconds * 2 ** Math.min(count - threshold, 30));
    const accountSeconds = lockFor(account.consumedPoints, this.policy.accountThreshold);
    const ipSeconds = lockFor(address.consumedPoints, this.policy.ipThreshold);
    // block() stores points above the limit for the duration: that is what get() reads as "locked".
    await Promise.all([
      accountSeconds > 0 ? this.accountLock.block(LoginLockout.key(email), accountSeconds) : null,
      ipSeconds > 0 ? this.ipLock.block(ip, ipSeconds) : null,
    ]);
    return Math.max(accountSeconds, ipSeconds);
  }

  async recordSuccess(email: string): Promise<void> {
    await this.accountFailures.delete(LoginLockout.key(email));
  }
}
