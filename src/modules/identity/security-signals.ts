// The seam between identity and threat detection: what the login path and the authenticator know
// about a failure or an API key's use, handed to whoever listens (the security module registers
// itself at start-up, as business registers its ClientLedger with work). Identity imports no
// module above it; without a listener the signals go nowhere.

/** A failed login or MFA step: the account (null user: an unknown e-mail), where from, and the lock. */
export interface LoginFailureSignal {
  /** The organization the failure is recorded under (null: none, e.g. an unknown e-mail). */
  orgId: string | null;
  userId: string | null;
  email: string;
  ip: string;
  userAgent: string | null;
  reason: string;
  /** The lock this failure started, in seconds (0: none). */
  lockedForSeconds: number;
  at: Date;
}

/** A spent refresh token came back: its session was revoked. */
export interface TokenReuseSignal {
  orgId: string | null;
  userId: string | null;
  sessionId: string;
  ip: string;
  userAgent: string | null;
  at: Date;
}

/** An API key authenticated a request (at most once a minute per key and address, per process). */
export interface ApiKeyUseSignal {
  orgId: string;
  apiKeyId: string;
  userId: string;
  ip: string;
  at: Date;
}

export interface SecurityListener {
  loginFailed(signal: LoginFailureSignal): Promise<void>;
  tokenReused(signal: TokenReuseSignal): Promise<void>;
  apiKeyUsed(signal: ApiKeyUseSignal): Promise<void>;
}

/**
 * Relays the signals to the listener. A listener's failure never fails the caller's request: it
 * is reported to `onError` (the login still answers 401, the API call still runs).
 */
export class SecuritySignals {
  private listener: SecurityListener | null = null;
  private readonly onError: (err: unknown) => void;

  constructor(onError: (err: unknown) => void) {
    this.onError = onError;
  }

  listen(listener: SecurityListener): void {
    this.listener = listener;
  }

  async loginFailed(signal: LoginFailureSignal): Promise<void> {
    await this.listener?.loginFailed(signal).catch(this.onError);
  }

  /**
   * An attempt refused because the account or address is locked: counted by the detectors like a
   * failure (an attacker hammering a locked account is a burst). `describe` (a lookup of the
   * account) runs only when someone listens; neither it nor the listener can fail the request.
   */
  async loginRefused(describe: () => Promise<LoginFailureSignal>): Promise<void> {
    const listener = this.listener;
    if (!listener) return;
    await describe()
      .then((signal) => listener.loginFailed(signal))
      .catch(this.onError);
  }

  async tokenReused(signal: TokenReuseSignal): Promise<void> {
    await this.listener?.tokenReused(signal).catch(this.onError);
  }

  /** Not awaited by the request: the listener works off the request's path. */
  apiKeyUsed(signal: ApiKeyUseSignal): void {
    this.listener?.apiKeyUsed(signal).catch(this.onError);
  }
}
