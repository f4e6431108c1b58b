// The TLS certificate check (docs/health.md): for each https origin BUL is reached at (PUBLIC_URL
// when https, and HEALTH_TLS_URLS), one TLS handshake with SNI = the host, then the peer
// certificate's dates, trust and host name. The handshake is not refused on a bad certificate
// (rejectUnauthorized off) so that the detail can say what is wrong and when it expires; the
// verdict is ours. No SSRF guard: these hosts are the operator's own, not a tenant's, and often
// resolve to a private address (split DNS, a proxy on the same network) the guard would refuse.
import { createHash, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import tls from 'node:tls';
import type { CheckOutcome, HealthStatus, PlatformCheck } from './health-checks.ts';

/** Days before expiry (HEALTH_TLS_DEGRADED_DAYS, HEALTH_TLS_DOWN_DAYS): degraded, down. */
export interface TlsThresholds {
  degradedDays: number;
  downDays: number;
}
export const TLS_DEFAULTS: TlsThresholds = { degradedDays: 14, downDays: 3 };

const DAY_MS = 86_400_000;
/** OpenSSL's date verdicts, judged again from the leaf's own dates at the round's time. */
const TIME_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
/** Node's own host name verdict (with SNI): a mismatch, not a matter of trust. */
const NAME_ERROR = 'ERR_TLS_CERT_ALTNAME_INVALID';

/** One origin to watch: where to connect and what to call it. */
export interface TlsTarget {
  host: string;
  port: number;
  /** `host` or `host:port` when the port is not 443 (IPv6 in brackets). */
  authority: string;
}

/**
 * The https origins of PUBLIC_URL and the extra URLs, once each (by host and port; the path does
 * not matter to TLS). An http PUBLIC_URL adds nothing: TLS ends at a proxy in front of BUL.
 */
export function tlsTargets(publicUrl: string, extra: readonly string[]): TlsTarget[] {
  const seen = new Map<string, TlsTarget>();
  for (const text of [publicUrl, ...extra]) {
    const url = new URL(text);
    if (url.protocol !== 'https:') continue;
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const port = url.port === '' ? 443 : Number(url.port);
    const authority = url.port === '' ? url.hostname : `${url.hostname}:${url.port}`;
    if (!seen.has(authority)) seen.set(authority, { host, port, authority });
  }
  return [...seen.values()];
}

/** `tls_certificate:<authority>`, hashed when it would not fit the 100 characters of a key. */
export function tlsCheckKey(t: TlsTarget): string {
  const key = `tls_certificate:${t.authority}`;
  return key.length <= 100
    ? key
    : `tls_certificate:${createHash('sha256').update(t.authority).digest('hex').slice(0, 32)}`;
}

/** What the handshake showed about the peer certificate. */
export interface PeerFacts {
  validFrom: Date;
  validTo: Date;
  /** Why the chain does not verify (OpenSSL's code), dates aside; null when it does. */
  trustError: string | null;
  /** Why the certificate does not name the host; null when it does. */
  nameError: string | null;
}

const day = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * ok: expires in more than `degradedDays`; degraded: within them; down: within `downDays`, expired,
 * not yet valid, not trusted or not naming the host. The detail says which, and the expiry.
 */
export function certificateStatus(f: PeerFacts, now: Date, t: TlsThresholds = TLS_DEFAULTS): CheckOutcome {
  const expires = `expires ${day(f.validTo)}`;
  if (f.trustError) return { status: 'down', detail: `not trusted (${f.trustError}); ${expires}` };
  if (f.nameError) return { status: 'down', detail: `host name mismatch: ${f.nameError}; ${expires}` };
  if (now < f.validFrom)
    return { status: 'down', detail: `not yet valid: valid from ${day(f.validFrom)}; ${expires}` };
  const left = (f.validTo.getTime() - now.getTime()) / DAY_MS;
  if (left < 0) return { status: 'down', detail: `expired ${day(f.validTo)}` };
  const days = Math.floor(left);
  const status: HealthStatus = left <= t.downDays ? 'down' : left <= t.degradedDays ? 'degraded' : 'ok';
  return { status, detail: `${expires} (in ${days} day${days === 1 ? '' : 's'})` };
}

export interface TlsProbeOptions {
  timeoutMs: number;
  /** Trusted CAs instead of Node's default store; null: the default store. */
  ca: readonly string[] | null;
  thresholds: TlsThresholds;
}

/** One handshake with `target`; never throws (a failure is a `down` outcome). */
export function probeTls(target: TlsTarget, now: Date, o: TlsProbeOptions): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    let connected = false;
    let done = false;
    const socket = tls.connect({
      host: target.host,
      port: target.port,
      // SNI names a host, never an address (RFC 6066).
      ...(isIP(target.host) ? {} : { servername: target.host }),
      ...(o.ca ? { ca: [...o.ca] } : {}),
      rejectUnauthorized: false,
      timeout: o.timeoutMs,
    });
    const finish = (outcome: CheckOutcome) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(outcome);
    };
    socket.once('connect', () => {
      connected = true;
    });
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate();
      if (!peer?.raw) return finish({ status: 'down', detail: 'handshake failed: no certificate' });
      const cert = new X509Certificate(peer.raw);
      const code = socket.authorizationError ? String(socket.authorizationError) : null;
      const leafTimeBad = now < cert.validFromDate || now > cert.validToDate;
      const nameError = tls.checkServerIdentity(target.host, peer);
      finish(
        certificateStatus(
          {
            validFrom: cert.validFromDate,
            validTo: cert.validToDate,
            // The leaf's dates speak for themselves; a date error elsewhere in the chain does not.
            trustError: code && code !== NAME_ERROR && !(TIME_ERRORS.has(code) && leafTimeBad) ? code : null,
            nameError: nameError
              ? `${target.host} is not among the certificate's names (${peer.subjectaltname ?? peer.subject?.CN ?? 'none'})`
              : null,
          },
          now,
          o.thresholds,
        ),
      );
    });
    socket.once('timeout', () =>
      finish({ status: 'down', detail: `no TLS handshake within ${o.timeoutMs} ms` }),
    );
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code ?? err.message;
      finish({
        status: 'down',
        detail: connected ? `handshake failed (${why})` : `cannot connect to ${target.authority} (${why})`,
      });
    });
  });
}

export interface TlsCheckDeps {
  publicUrl: string;
  /** HEALTH_TLS_URLS. */
  urls: readonly string[];
  /** HEALTH_TLS_CA: PEM certificates trusted besides Node's default store; null: none. */
  extraCa: string | null;
  timeoutMs: number;
  thresholds: TlsThresholds;
}

/** One check per https origin; none when BUL is reached over http only and no URL is listed. */
export function tlsChecks(d: TlsCheckDeps): PlatformCheck[] {
  // Passing `ca` replaces the default store: keep it (bundled, NODE_EXTRA_CA_CERTS, system) and add.
  const ca = d.extraCa ? [...tls.getCACertificates('default'), d.extraCa] : null;
  return tlsTargets(d.publicUrl, d.urls).map((target) => ({
    key: tlsCheckKey(target),
    kind: 'tls_certificate',
    name: `TLS certificate (${target.authority})`,
    run: (now) => probeTls(target, now, { timeoutMs: d.timeoutMs, ca, thresholds: d.thresholds }),
  }));
}
