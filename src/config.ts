// One validated configuration object, read once at start from the environment.
// Every setting has an env var, a default that works on a laptop and a rule; secrets may come
// from NAME_FILE. All problems are collected and reported together, one line each.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isCidrOrIp } from './platform/http/ip-ranges.ts';

type Kind =
  | { type: 'string'; pattern?: RegExp; patternRule?: string }
  | { type: 'int'; min: number; max: number }
  | { type: 'bool' }
  | { type: 'duration'; minSeconds: number; maxSeconds: number }
  | { type: 'size'; minBytes: number; maxBytes: number }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'url'; protocols: readonly string[] }
  | { type: 'list' }
  | { type: 'cidrs' };

interface Setting {
  env: string;
  kind: Kind;
  /** Default as it would be written in the environment; undefined means "unset". */
  default?: string;
  secret?: boolean;
  description: string;
}

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;
const MB = 1024 * 1024;

/** The catalogue of settings. `.env.example` and the README table are checked against it by a test. */
export const SETTINGS = [
  {
    env: 'HOST',
    kind: { type: 'string' },
    default: '127.0.0.1',
    description: 'Interface the HTTP server listens on (0.0.0.0 in containers).',
  },
  {
    env: 'PORT',
    kind: { type: 'int', min: 0, max: 65535 },
    default: '3000',
    description: 'HTTP port (0 picks a free one).',
  },
  {
    env: 'PUBLIC_URL',
    kind: { type: 'url', protocols: ['http:', 'https:'] },
    description:
      'External base URL; JWT issuer, cookie `Secure` flag when https. Default http://localhost:PORT.',
  },
  {
    env: 'BUL_DATA_DIR',
    kind: { type: 'string' },
    default: './data',
    description:
      'Where the embedded PostgreSQL, the generated master key and uploads live. As root, when the OS user postgres cannot enter it (e.g. under /root), the embedded PostgreSQL keeps its data in `/var/lib/bul/<id>/postgres`, linked from `BUL_DATA_DIR/postgres`.',
  },
  {
    env: 'BUL_ROLE',
    kind: { type: 'enum', values: ['all', 'api', 'worker'] },
    default: 'all',
    description: 'Process role; `bul start --role` overrides it.',
  },
  {
    env: 'DATABASE_URL',
    kind: { type: 'url', protocols: ['postgres:', 'postgresql:'] },
    secret: true,
    description: 'External PostgreSQL (15+) owner connection. Unset: embedded PostgreSQL in BUL_DATA_DIR.',
  },
  {
    env: 'DATABASE_APP_ROLE',
    kind: { type: 'string', pattern: /^[a-z_][a-z0-9_]{0,62}$/, patternRule: 'a lower-case SQL identifier' },
    default: 'bul_app',
    description: 'Login role the application uses; it owns no table and cannot bypass row-level security.',
  },
  {
    env: 'DATABASE_APP_PASSWORD',
    kind: { type: 'string' },
    secret: true,
    description: 'Password of DATABASE_APP_ROLE. Default: derived from the master key.',
  },
  {
    env: 'DATABASE_POOL_MAX',
    kind: { type: 'int', min: 1, max: 500 },
    default: '20',
    description: 'Connections per process in the application pool.',
  },
  {
    env: 'REDIS_URL',
    kind: { type: 'url', protocols: ['redis:', 'rediss:'] },
    secret: true,
    description: 'Optional Redis; when set, rate limits and lockouts are shared through it.',
  },
  {
    env: 'LOG_LEVEL',
    kind: { type: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    default: 'info',
    description: 'pino log level.',
  },
  {
    env: 'LOG_FORMAT',
    kind: { type: 'enum', values: ['auto', 'pretty', 'json'] },
    default: 'auto',
    description:
      'json: one JSON object per line, each request one line at info. pretty: one human line per event, requests at debug (set LOG_LEVEL=debug to see them). auto: pretty when stdout is a terminal, else json.',
  },
  {
    env: 'BUL_MASTER_KEY',
    kind: { type: 'string', pattern: /^[A-Za-z0-9+/=_-]{43,88}$/, patternRule: '32 bytes, base64' },
    secret: true,
    description:
      'Key that encrypts secrets at rest. Default: generated once into BUL_DATA_DIR/master.key. Set it when several machines share a database.',
  },
  {
    env: 'BODY_LIMIT',
    kind: { type: 'size', minBytes: 1024, maxBytes: 100 * MB },
    default: '1mb',
    description: 'Largest JSON request body; larger gets 413.',
  },
  {
    env: 'MAX_UPLOAD_SIZE',
    kind: { type: 'size', minBytes: 1024, maxBytes: 10 * 1024 * MB },
    default: '50mb',
    description: 'Largest uploaded file (task attachments, CSV/XLSX imports); larger gets 413.',
  },
  {
    env: 'ALLOWED_EXTENSIONS',
    kind: { type: 'list' },
    default: 'pdf,png,jpg,jpeg,gif,webp,txt,md,csv,xlsx,docx,pptx,zip',
    description:
      'File types accepted as attachments, by extension; the content must match the extension too.',
  },
  {
    env: 'IMPORT_MAX_ROWS',
    kind: { type: 'int', min: 1, max: 1_000_000 },
    default: '50000',
    description: 'Most data rows one CSV/XLSX import may carry.',
  },
  {
    env: 'TRUST_PROXY',
    kind: { type: 'cidrs' },
    default: '',
    description: 'Comma-separated IPs/CIDRs of reverse proxies whose X-Forwarded-For is believed.',
  },
  {
    env: 'CORS_ORIGINS',
    kind: { type: 'list' },
    default: '',
    description: 'Comma-separated origins allowed by CORS (empty: same origin only).',
  },
  {
    env: 'BASE_DOMAIN',
    kind: { type: 'string' },
    default: '',
    description: 'Domain under which `<subdomain>.BASE_DOMAIN` selects the organization.',
  },
  {
    env: 'REGISTRATION_ENABLED',
    kind: { type: 'bool' },
    default: 'true',
    description: 'Whether anyone may sign up and create an organization.',
  },
  {
    env: 'ACCESS_TOKEN_TTL',
    kind: { type: 'duration', minSeconds: 30, maxSeconds: 15 * MINUTE },
    default: '15m',
    description: 'Lifetime of JWT access tokens (at most 15 minutes).',
  },
  {
    env: 'REFRESH_TOKEN_TTL',
    kind: { type: 'duration', minSeconds: HOUR, maxSeconds: 365 * DAY },
    default: '30d',
    description: 'Lifetime of a refresh-token family since login.',
  },
  {
    env: 'SESSION_TTL',
    kind: { type: 'duration', minSeconds: 5 * MINUTE, maxSeconds: 90 * DAY },
    default: '7d',
    description: 'Absolute lifetime of a browser session.',
  },
  {
    env: 'SESSION_IDLE_TIMEOUT',
    kind: { type: 'duration', minSeconds: MINUTE, maxSeconds: 30 * DAY },
    default: '24h',
    description: 'A browser session unused this long ends.',
  },
  {
    env: 'JWT_KEY_ROTATION',
    kind: { type: 'duration', minSeconds: HOUR, maxSeconds: 365 * DAY },
    default: '30d',
    description:
      'Age after which a new signing key takes over (old keys stay in JWKS until their tokens expire).',
  },
  {
    env: 'INVITATION_TTL',
    kind: { type: 'duration', minSeconds: HOUR, maxSeconds: 90 * DAY },
    default: '7d',
    description: 'How long an invitation token is valid.',
  },
  {
    env: 'MFA_ISSUER',
    kind: { type: 'string' },
    default: 'BUL',
    description: 'Issuer name shown in authenticator apps.',
  },
  {
    env: 'PASSWORD_MIN_LENGTH',
    kind: { type: 'int', min: 12, max: 128 },
    default: '12',
    description: 'Minimum password length (never below 12).',
  },
  {
    env: 'RATE_LIMIT_STORE',
    kind: { type: 'enum', values: ['auto', 'memory', 'postgres', 'redis'] },
    default: 'auto',
    description:
      'Where rate-limit counters live; auto: Redis if REDIS_URL, PostgreSQL if DATABASE_URL, else memory.',
  },
  {
    env: 'RATE_LIMIT_SYNC_INTERVAL_MS',
    kind: { type: 'int', min: 10, max: 10_000 },
    default: '100',
    description:
      'With the postgres store: how often (milliseconds) each process adds its per-IP and per-user counts to the shared ones. Another process may let a client through for up to this long (plus one round trip) after the limit is spent.',
  },
  {
    env: 'CACHE_STORE',
    kind: { type: 'enum', values: ['auto', 'memory', 'redis', 'off'] },
    default: 'auto',
    description:
      "Where cached values (the dashboard, executive metrics and trends) live; auto: Redis if REDIS_URL, else each process's memory. off: no cache (every read computes). See docs/cache.md.",
  },
  {
    env: 'CACHE_MAX_BYTES',
    kind: { type: 'size', minBytes: 1024 * 1024, maxBytes: 64 * 1024 * MB },
    default: '64mb',
    description: "The memory store's size per process; the least recently used entries go first.",
  },
  {
    env: 'CACHE_TTL_MS',
    kind: { type: 'int', min: 100, max: 86_400_000 },
    default: '60000',
    description:
      'How long (milliseconds) a cached value stays fresh unless its use says otherwise; mutations invalidate earlier.',
  },
  {
    env: 'CACHE_STALE_MS',
    kind: { type: 'int', min: 0, max: 86_400_000 },
    default: '300000',
    description:
      'How long (milliseconds) past its freshness a value may still be served while one refresh runs, or while its source fails (circuit breaker).',
  },
  {
    env: 'RATE_LIMIT_IP_PER_MINUTE',
    kind: { type: 'int', min: 1, max: 100_000_000 },
    default: '1200',
    description: 'API requests per minute per client IP.',
  },
  {
    env: 'RATE_LIMIT_USER_PER_MINUTE',
    kind: { type: 'int', min: 1, max: 100_000_000 },
    default: '1200',
    description: 'API requests per minute per authenticated user or API key.',
  },
  {
    env: 'RATE_LIMIT_LOGIN_BURST',
    kind: { type: 'int', min: 1, max: 100_000_000 },
    default: '5',
    description: 'Login attempts per IP allowed at once.',
  },
  {
    env: 'RATE_LIMIT_LOGIN_PER_SECOND',
    kind: { type: 'int', min: 1, max: 100_000_000 },
    default: '1',
    description: 'Sustained login attempts per second per IP.',
  },
  {
    env: 'LOCKOUT_ACCOUNT_THRESHOLD',
    kind: { type: 'int', min: 1, max: 1_000_000 },
    default: '5',
    description: 'Failed logins on one account before it is locked.',
  },
  {
    env: 'LOCKOUT_IP_THRESHOLD',
    kind: { type: 'int', min: 1, max: 1_000_000 },
    default: '20',
    description: 'Failed logins from one IP before it is locked out.',
  },
  {
    env: 'LOCKOUT_BASE',
    kind: { type: 'duration', minSeconds: 1, maxSeconds: DAY },
    default: '1m',
    description: 'First lockout; each further failure doubles it.',
  },
  {
    env: 'LOCKOUT_MAX',
    kind: { type: 'duration', minSeconds: 1, maxSeconds: 7 * DAY },
    default: '1h',
    description: 'Longest lockout.',
  },
  {
    env: 'IP_ALLOWLIST',
    kind: { type: 'cidrs' },
    default: '',
    description:
      'Global IPv4/IPv6 CIDRs allowed to reach BUL (empty: all), on top of rules stored by super admins.',
  },
  {
    env: 'IP_DENYLIST',
    kind: { type: 'cidrs' },
    default: '',
    description: 'Global IPv4/IPv6 CIDRs refused.',
  },
  {
    env: 'METRICS_TOKEN',
    kind: { type: 'string' },
    secret: true,
    description: 'If set, /metrics requires `Authorization: Bearer <token>`.',
  },
  {
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    kind: { type: 'url', protocols: ['http:', 'https:'] },
    description:
      'OpenTelemetry collector (OTLP/HTTP, e.g. http://collector:4318): `bul start` sends traces of requests, queries, jobs and outgoing calls there. Unset: no tracing code is loaded. Also read from OTEL_EXPORTER_OTLP_ENDPOINT_FILE. The other standard OTEL_* variables apply (docs/tracing.md).',
  },
  {
    env: 'TRUST_INCOMING_TRACEPARENT',
    kind: { type: 'bool' },
    default: 'false',
    description:
      "Whether an incoming request's W3C `traceparent` header is honoured (its trace joined, its sampling decision followed). Off: every request starts a trace of its own, linked to the caller's, so a client cannot choose the trace id in logs and problems nor force sampling. Turn on only behind a proxy that sets or clears the header.",
  },
  {
    env: 'OTEL_SERVICE_NAME',
    kind: { type: 'string' },
    default: 'bul',
    description: 'The service name on the traces (`service.name`).',
  },
  {
    env: 'SENTRY_DSN',
    kind: { type: 'url', protocols: ['http:', 'https:'] },
    secret: true,
    description:
      'Sentry (or compatible) DSN: unexpected errors (5xx, jobs and event handlers failing for good, background loops) are reported there, with the trace id, never request bodies. Unset: nothing is sent.',
  },
  {
    env: 'SENTRY_ENVIRONMENT',
    kind: { type: 'string' },
    default: 'production',
    description: 'The `environment` of the error reports.',
  },
  {
    env: 'DEFAULT_PLAN',
    kind: { type: 'enum', values: ['free', 'team', 'business', 'enterprise'] },
    default: 'free',
    description: 'Plan given to newly registered organizations.',
  },
  {
    env: 'WORKER_CONCURRENCY',
    kind: { type: 'int', min: 1, max: 200 },
    default: '5',
    description: 'Jobs one worker process runs at once.',
  },
  {
    env: 'JOB_WORKER_HEARTBEAT_SECONDS',
    kind: { type: 'int', min: 1, max: 50 },
    default: '10',
    description:
      "How often (seconds) each worker process renews its job workers' heartbeat. The jobs of a worker whose process died (kill -9) are taken up by the live workers once it missed three beats, instead of after graphile-worker's 4 hours; at most 50 so that a dead worker's backup job is taken up before the backup run is swept as interrupted (3 minutes).",
  },
  {
    env: 'AUDIT_SEAL_INTERVAL_MS',
    kind: { type: 'int', min: 10, max: 60_000 },
    default: '200',
    description:
      'How often (milliseconds) each process links newly committed audit events into their hash chain (reading a chain links its pending events first).',
  },
  {
    env: 'WEBHOOK_ALLOW_PRIVATE',
    kind: { type: 'bool' },
    default: 'false',
    description:
      'Let webhook endpoints point at loopback, link-local, private and other non-public addresses (checked at registration and at each delivery). Off, an endpoint must resolve to public addresses only (SSRF guard); turn on for tests or a closed network.',
  },
  {
    env: 'WEBHOOK_CONCURRENCY',
    kind: { type: 'int', min: 1, max: 500 },
    default: '16',
    description:
      "Webhook deliveries one worker process sends at once, in a pool of their own beside WORKER_CONCURRENCY's, so that receivers answering slowly never hold up the other jobs.",
  },
  {
    env: 'WEBHOOK_TIMEOUT_MS',
    kind: { type: 'int', min: 100, max: 60_000 },
    default: '10000',
    description:
      'How long (milliseconds) one webhook delivery attempt may take in all (connecting, sending, the answer); connecting alone gets at most 5 seconds of it.',
  },
  {
    env: 'SMTP_HOST',
    kind: { type: 'string' },
    description:
      'The platform-wide default e-mail relay, for organizations that set up no e-mail channel of their own (unset: none; such e-mails are skipped with the reason recorded).',
  },
  {
    env: 'SMTP_PORT',
    kind: { type: 'int', min: 1, max: 65535 },
    default: '587',
    description: 'Port of SMTP_HOST (587 submission with STARTTLS, 465 implicit TLS, 25).',
  },
  {
    env: 'SMTP_SECURE',
    kind: { type: 'bool' },
    default: 'false',
    description:
      'Implicit TLS from the first byte (port 465). Off, STARTTLS is used when the relay offers it.',
  },
  {
    env: 'SMTP_USER',
    kind: { type: 'string' },
    description: 'User name for SMTP_HOST (unset: no authentication).',
  },
  {
    env: 'SMTP_PASSWORD',
    kind: { type: 'string' },
    secret: true,
    description: 'Password for SMTP_USER (or SMTP_PASSWORD_FILE).',
  },
  {
    env: 'SMTP_FROM',
    kind: { type: 'string' },
    default: 'BUL <no-reply@localhost>',
    description: 'Sender of e-mails sent through SMTP_HOST, as `Name <address>`.',
  },
  {
    env: 'NOTIFY_CONCURRENCY',
    kind: { type: 'int', min: 1, max: 500 },
    default: '32',
    description:
      'Notifications a worker process sends at once in its shared lane (any priority, highest first); critical and high notifications have lanes of their own (a quarter of this each, at least 2) that a broadcast never fills.',
  },
  {
    env: 'NOTIFY_LEASE_SECONDS',
    kind: { type: 'int', min: 5, max: 3600 },
    default: '120',
    description:
      'How long a worker owns a notification it is sending; if the worker dies, another sends it again after this (with the same id, the key receivers dedupe by). Longer than NOTIFY_PROVIDER_TIMEOUT_MS × the providers of a channel.',
  },
  {
    env: 'NOTIFY_PROVIDER_TIMEOUT_MS',
    kind: { type: 'int', min: 100, max: 120_000 },
    default: '15000',
    description:
      'How long (milliseconds) one call to a notification provider (SMTP relay, SMS, push, chat) may take.',
  },
  {
    env: 'WS_HEARTBEAT_MS',
    kind: { type: 'int', min: 1000, max: 300_000 },
    default: '30000',
    description:
      'How often (milliseconds) /ws pings each connection; a connection that has not answered the previous ping by then is dropped.',
  },
  {
    env: 'WS_REVALIDATE_MS',
    kind: { type: 'int', min: 1000, max: 3_600_000 },
    default: '60000',
    description:
      "How often (milliseconds) each /ws connection's credentials and permissions are checked again (a revoked session, a suspended member, a changed role); a removal or role change of its user is applied at once.",
  },
  {
    env: 'WS_MESSAGES_PER_SECOND',
    kind: { type: 'int', min: 1, max: 1000 },
    default: '20',
    description:
      'Messages per second a /ws client may send (twice that in a burst) before its connection is closed (4429).',
  },
  {
    env: 'WS_MAX_CONNECTIONS',
    kind: { type: 'int', min: 1, max: 1_000_000 },
    default: '20000',
    description:
      '/ws connections one API process holds at most; more are refused (503) so a load balancer sends them to another process.',
  },
  {
    env: 'WS_MAX_CONNECTIONS_PER_USER',
    kind: { type: 'int', min: 1, max: 1_000_000 },
    default: '50',
    description:
      '/ws connections one user (or one API key) may hold on one API process; more are refused (429).',
  },
  {
    env: 'WS_RESUME_LIMIT',
    kind: { type: 'int', min: 0, max: 100_000 },
    default: '1000',
    description:
      'Most events replayed to a /ws client that reconnects with lastEventId; one further behind is told to reload.',
  },
  {
    env: 'EVENT_HANDLER_MAX_ATTEMPTS',
    kind: { type: 'int', min: 1, max: 100 },
    default: '8',
    description:
      'Attempts of an event handler on one event before it is parked as failed (GET /api/v1/events/failures) and the handler goes on.',
  },
  {
    env: 'EVENT_RETRY_BASE_MS',
    kind: { type: 'int', min: 10, max: 3_600_000 },
    default: '1000',
    description:
      'Delay (milliseconds) before the first retry of a failed event handler; each next retry doubles it (±20% jitter, at most an hour).',
  },
  {
    env: 'EVENT_POLL_INTERVAL_MS',
    kind: { type: 'int', min: 50, max: 60_000 },
    default: '1000',
    description:
      'How often (milliseconds) workers look for event work that no notification announced (retries due, a lost connection).',
  },
  {
    env: 'EVENT_RETENTION_DAYS',
    kind: { type: 'int', min: 1, max: 3650 },
    default: '7',
    description:
      'Days a domain event is kept once every event handler has passed it (its deliveries done); workers then delete it. An event a handler has not reached is kept; one parked as failed (a dead letter) is kept 30 days after it failed, or this long if longer.',
  },
  {
    env: 'SHUTDOWN_TIMEOUT',
    kind: { type: 'duration', minSeconds: 1, maxSeconds: 10 * MINUTE },
    default: '15s',
    description: 'How long shutdown waits for requests and jobs to finish.',
  },
  {
    env: 'MONITOR_SAMPLE_SECONDS',
    kind: { type: 'int', min: 5, max: 300 },
    default: '15',
    description:
      'How often (seconds) each process samples its metrics into the history (docs/monitoring.md); a divisor of 60 keeps samples on minute boundaries.',
  },
  {
    env: 'MONITOR_RETENTION_RAW',
    kind: { type: 'duration', minSeconds: HOUR, maxSeconds: 30 * DAY },
    default: '48h',
    description: 'How long raw metric samples are kept (older ones live on as 1-minute and 1-hour roll-ups).',
  },
  {
    env: 'MONITOR_RETENTION_MINUTE',
    kind: { type: 'duration', minSeconds: DAY, maxSeconds: 365 * DAY },
    default: '14d',
    description: 'How long the 1-minute roll-ups of metric samples are kept.',
  },
  {
    env: 'MONITOR_RETENTION_HOUR',
    kind: { type: 'duration', minSeconds: 7 * DAY, maxSeconds: 10 * 365 * DAY },
    default: '400d',
    description:
      'How long the 1-hour roll-ups of metric samples are kept (capacity planning fits over them).',
  },
  {
    env: 'HEALTH_CHECK_SECONDS',
    kind: { type: 'int', min: 5, max: 3600 },
    default: '30',
    description:
      'How often (seconds) the health checks run (database, Redis, job queue, disk, notification channels); one worker process runs each round (docs/health.md).',
  },
  {
    env: 'HEALTH_CHECK_TIMEOUT_MS',
    kind: { type: 'int', min: 100, max: 60_000 },
    default: '5000',
    description: 'How long (milliseconds) one health check may take before it counts as down.',
  },
  {
    env: 'HEALTH_RETENTION_DAYS',
    kind: { type: 'int', min: 1, max: 3650 },
    default: '30',
    description: 'Days the result of each health check is kept (history and uptime).',
  },
  {
    env: 'HEALTH_QUEUE_MAX_AGE_SECONDS',
    kind: { type: 'int', min: 1, max: 86_400 },
    default: '300',
    description:
      'A runnable job waiting longer than this makes the job-queue health check degraded (ten times as long: down).',
  },
  {
    env: 'HEALTH_TLS_URLS',
    kind: { type: 'list' },
    default: '',
    description:
      'Comma-separated https:// URLs whose TLS certificate the health checks watch besides PUBLIC_URL (when it is https), e.g. the proxy in front of BUL when PUBLIC_URL is http (docs/health.md).',
  },
  {
    env: 'HEALTH_TLS_CA',
    kind: {
      type: 'string',
      pattern: /-----BEGIN CERTIFICATE-----/,
      patternRule: 'PEM certificates (-----BEGIN CERTIFICATE-----)',
    },
    description:
      "PEM CA certificates the TLS certificate check trusts besides Node's default store (a private CA); HEALTH_TLS_CA_FILE names a file holding them. NODE_EXTRA_CA_CERTS works too.",
  },
  {
    env: 'HEALTH_TLS_DEGRADED_DAYS',
    kind: { type: 'int', min: 1, max: 365 },
    default: '14',
    description: 'A TLS certificate expiring within this many days makes its health check degraded.',
  },
  {
    env: 'HEALTH_TLS_DOWN_DAYS',
    kind: { type: 'int', min: 0, max: 365 },
    default: '3',
    description:
      'A TLS certificate expiring within this many days (or expired, untrusted, for another host) makes its health check down; less than HEALTH_TLS_DEGRADED_DAYS.',
  },
  {
    env: 'GEOIP_DB_PATH',
    kind: { type: 'string' },
    default: '',
    description:
      'A local IP-to-location CSV (`start_ip,end_ip,country,latitude,longitude`, docs/security.md) for the country of a login and impossible-travel detection; nothing is downloaded. Empty: neither.',
  },
  {
    env: 'ALERT_RETENTION_DAYS',
    kind: { type: 'int', min: 1, max: 3650 },
    default: '180',
    description:
      'Days a resolved alert (and its history) is kept after it resolved; a daily worker job deletes older ones (docs/alerts.md).',
  },
  {
    env: 'BACKUP_DIR',
    kind: { type: 'string' },
    description:
      'Where directory backups go (BACKUP_TARGET=directory). Default: BUL_DATA_DIR/backups (docs/backups.md).',
  },
  {
    env: 'BACKUP_TARGET',
    kind: { type: 'enum', values: ['directory', 's3'] },
    default: 'directory',
    description: 'Where backups are written: a directory (BACKUP_DIR) or an S3 bucket (BACKUP_S3_*).',
  },
  {
    env: 'BACKUP_COPY_TARGET',
    kind: { type: 'enum', values: ['none', 'directory', 's3'] },
    default: 'none',
    description:
      'A second place each backup is copied to after it is written (directory: BACKUP_COPY_DIR; s3: the BACKUP_S3_* bucket, when the primary is a directory).',
  },
  {
    env: 'BACKUP_COPY_DIR',
    kind: { type: 'string' },
    description: 'The directory of BACKUP_COPY_TARGET=directory.',
  },
  {
    env: 'BACKUP_S3_BUCKET',
    kind: { type: 'string' },
    description: 'The S3 bucket of an s3 target.',
  },
  {
    env: 'BACKUP_S3_ENDPOINT',
    kind: { type: 'url', protocols: ['http:', 'https:'] },
    description: 'An S3-compatible endpoint (MinIO, Ceph, another cloud). Unset: AWS.',
  },
  {
    env: 'BACKUP_S3_REGION',
    kind: { type: 'string' },
    default: 'us-east-1',
    description: 'The S3 region.',
  },
  {
    env: 'BACKUP_S3_PREFIX',
    kind: { type: 'string' },
    default: '',
    description: 'A key prefix inside the bucket (e.g. `bul/`).',
  },
  {
    env: 'BACKUP_S3_FORCE_PATH_STYLE',
    kind: { type: 'bool' },
    default: 'false',
    description: 'Path-style addressing (bucket in the path), which most S3-compatible servers need.',
  },
  {
    env: 'BACKUP_S3_ACCESS_KEY_ID',
    kind: { type: 'string' },
    secret: true,
    description: 'S3 access key id. Unset: the AWS SDK default chain (environment, instance role).',
  },
  {
    env: 'BACKUP_S3_SECRET_ACCESS_KEY',
    kind: { type: 'string' },
    secret: true,
    description: 'S3 secret access key (or BACKUP_S3_SECRET_ACCESS_KEY_FILE).',
  },
  {
    env: 'BACKUP_PASSPHRASE',
    kind: { type: 'string' },
    secret: true,
    description:
      'Passphrase backups are encrypted with (scrypt). Without it or BACKUP_KEY_FILE the master key encrypts them: keep a copy of the master key apart from the backups (docs/backups.md).',
  },
  {
    env: 'BACKUP_KEY_FILE',
    kind: { type: 'string' },
    description:
      'A file of at least 32 bytes of key material backups are encrypted with (instead of a passphrase).',
  },
  {
    env: 'BACKUP_JOBS',
    kind: { type: 'int', min: 1, max: 16 },
    default: '2',
    description: 'Tables read (and, in restores into an empty database, loaded) in parallel.',
  },
  {
    env: 'BACKUP_COMPRESSION_LEVEL',
    kind: { type: 'int', min: 1, max: 19 },
    default: '3',
    description: 'zstd level of backup parts (3: fast, about 2.6× on typical data).',
  },
  {
    env: 'BACKUP_SCRATCH_DATABASE_URL',
    kind: { type: 'url', protocols: ['postgres:', 'postgresql:'] },
    secret: true,
    description:
      'A server (owner connection) where verifications and drills create and drop their scratch databases. Default: the database server BUL uses.',
  },
] as const satisfies readonly Setting[];

export type SettingName = (typeof SETTINGS)[number]['env'];

export interface Config {
  host: string;
  port: number;
  publicUrl: string;
  dataDir: string;
  role: 'all' | 'api' | 'worker';
  databaseUrl: string | null;
  databaseAppRole: string;
  databaseAppPassword: string | null;
  databasePoolMax: number;
  redisUrl: string | null;
  logLevel: string;
  logFormat: 'auto' | 'pretty' | 'json';
  masterKey: string | null;
  bodyLimit: number;
  maxUploadSize: number;
  /** Lower-case extensions without the dot. */
  allowedExtensions: string[];
  importMaxRows: number;
  trustProxy: string[];
  corsOrigins: string[];
  baseDomain: string | null;
  registrationEnabled: boolean;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  sessionTtl: number;
  sessionIdleTimeout: number;
  jwtKeyRotation: number;
  invitationTtl: number;
  mfaIssuer: string;
  passwordMinLength: number;
  rateLimitStore: 'memory' | 'postgres' | 'redis';
  rateLimitSyncIntervalMs: number;
  cache: { store: 'auto' | 'memory' | 'redis' | 'off'; maxBytes: number; ttlMs: number; staleMs: number };
  rateLimit: {
    ipPerMinute: number;
    userPerMinute: number;
    loginBurst: number;
    loginPerSecond: number;
  };
  lockout: { accountThreshold: number; ipThreshold: number; baseSeconds: number; maxSeconds: number };
  ipAllowlist: string[];
  ipDenylist: string[];
  metricsToken: string | null;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: read by the OpenTelemetry SDK itself; here to validate and show. */
  otelEndpoint: string | null;
  sentryDsn: string | null;
  sentryEnvironment: string;
  defaultPlan: string;
  workerConcurrency: number;
  jobWorkerHeartbeatSeconds: number;
  auditSealIntervalMs: number;
  webhookAllowPrivate: boolean;
  webhookTimeoutMs: number;
  webhookConcurrency: number;
  /** The platform's default e-mail relay (SMTP_*), or null when SMTP_HOST is unset. */
  smtp: {
    host: string;
    port: number;
    secure: boolean;
    user: string | null;
    password: string | null;
    from: string;
  } | null;
  notifyConcurrency: number;
  notifyLeaseSeconds: number;
  notifyProviderTimeoutMs: number;
  wsHeartbeatMs: number;
  wsRevalidateMs: number;
  wsMessagesPerSecond: number;
  wsResumeLimit: number;
  wsMaxConnections: number;
  wsMaxConnectionsPerUser: number;
  eventHandlerMaxAttempts: number;
  eventRetryBaseMs: number;
  eventPollIntervalMs: number;
  eventRetentionDays: number;
  shutdownTimeout: number;
  /** Metrics history (MONITOR_*): sample interval and retention per level, in seconds. */
  monitor: { sampleSeconds: number; rawRetention: number; minuteRetention: number; hourRetention: number };
  health: {
    everySeconds: number;
    timeoutMs: number;
    retentionDays: number;
    queueMaxAgeSeconds: number;
    /** HEALTH_TLS_*: extra https URLs, extra trusted CAs (PEM), days before expiry: degraded, down. */
    tls: { urls: string[]; ca: string | null; degradedDays: number; downDays: number };
  };
  /** GEOIP_DB_PATH, or null. */
  geoIpDbPath: string | null;
  alertRetentionDays: number;
  /** BACKUP_*: where backups go, how they are encrypted and compressed (docs/backups.md). */
  backup: BackupConfig;
}

export interface S3Settings {
  bucket: string;
  endpoint: string | null;
  region: string;
  prefix: string;
  forcePathStyle: boolean;
  accessKeyId: string | null;
  secretAccessKey: string | null;
}

export interface BackupConfig {
  dir: string;
  target: 'directory' | 's3';
  copyTarget: 'none' | 'directory' | 's3';
  copyDir: string | null;
  s3: S3Settings | null;
  passphrase: string | null;
  keyFile: string | null;
  jobs: number;
  compressionLevel: number;
  scratchDatabaseUrl: string | null;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Raw = Record<string, string | undefined>;
type Parsed = string | number | boolean | string[] | undefined;

const DURATION_UNITS: Record<string, number> = { s: 1, m: MINUTE, h: HOUR, d: DAY };
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: MB, gb: 1024 * MB };

function parseValue(setting: Setting, value: string): { value: Parsed } | { rule: string } {
  const kind = setting.kind;
  switch (kind.type) {
    case 'string':
      if (kind.pattern && !kind.pattern.test(value)) return { rule: `must be ${kind.patternRule}` };
      return { value };
    case 'int': {
      if (!/^-?\d+$/.test(value)) return { rule: 'must be a whole number' };
      const n = Number(value);
      if (n < kind.min || n > kind.max) return { rule: `must be between ${kind.min} and ${kind.max}` };
      return { value: n };
    }
    case 'bool':
      if (/^(true|1|yes|on)$/i.test(value)) return { value: true };
      if (/^(false|0|no|off)$/i.test(value)) return { value: false };
      return { rule: 'must be true or false' };
    case 'duration': {
      const m = /^(\d+)\s*([smhd]?)$/i.exec(value);
      if (!m) return { rule: 'must be a duration such as 90s, 15m, 12h or 7d' };
      const seconds = Number(m[1]) * (DURATION_UNITS[(m[2] || 's').toLowerCase()] ?? 1);
      if (seconds < kind.minSeconds || seconds > kind.maxSeconds) {
        return { rule: `must be between ${kind.minSeconds}s and ${kind.maxSeconds}s` };
      }
      return { value: seconds };
    }
    case 'size': {
      const m = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(value);
      if (!m) return { rule: 'must be a size such as 512kb or 50mb' };
      const bytes = Number(m[1]) * (SIZE_UNITS[(m[2] || 'b').toLowerCase()] ?? 1);
      if (bytes < kind.minBytes || bytes > kind.maxBytes) {
        return { rule: `must be between ${kind.minBytes} and ${kind.maxBytes} bytes` };
      }
      return { value: bytes };
    }
    case 'enum':
      if (!kind.values.includes(value)) return { rule: `must be one of ${kind.values.join(', ')}` };
      return { value };
    case 'url': {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        return { rule: 'must be a URL' };
      }
      if (!kind.protocols.includes(url.protocol)) {
        return { rule: `must be a URL starting with ${kind.protocols.map((p) => `${p}//`).join(' or ')}` };
      }
      return { value };
    }
    case 'cidrs': {
      const items = splitList(value);
      const bad = items.find((item) => !isCidrOrIp(item));
      if (bad !== undefined)
        return { rule: `must be comma-separated IPv4/IPv6 addresses or CIDRs (bad: ${bad})` };
      return { value: items };
    }
    case 'list':
      return {
        value: splitList(value),
      };
  }
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * NAME's value, read from the file NAME_FILE names when that is set (as loadConfig reads it), for
 * what must read a setting before the config loads (bin/bul.js: the tracing endpoint). Undefined
 * when unset or when the file cannot be read or both are set: loadConfig then reports the problem.
 */
export function settingText(env: Raw, name: string): string | undefined {
  const problems: string[] = [];
  const text = readRaw(env, name, problems);
  return problems.length > 0 ? undefined : text;
}

/** Reads NAME, or the file named by NAME_FILE (trailing newline trimmed). */
function readRaw(env: Raw, name: string, problems: string[]): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (file !== undefined && file !== '') {
    if (direct !== undefined && direct !== '') {
      problems.push(`${name}: set either ${name} or ${name}_FILE, not both`);
      return undefined;
    }
    try {
      return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      problems.push(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
  }
  return direct;
}

/** Builds the config from an environment; throws ConfigError listing every problem. */
export function loadConfig(
  env: Raw = process.env,
  overrides: Partial<Record<SettingName, string>> = {},
): Config {
  const problems: string[] = [];
  const values = new Map<string, Parsed>();
  for (const setting of SETTINGS as readonly Setting[]) {
    const override = overrides[setting.env as SettingName];
    const raw = override ?? readRaw(env, setting.env, problems);
    const text = raw === undefined || raw === '' ? setting.default : raw;
    if (text === undefined) continue;
    const parsed = parseValue(setting, text.trim());
    if ('rule' in parsed)
      problems.push(
        `${setting.env}: ${parsed.rule} (got ${setting.secret ? 'a hidden value' : JSON.stringify(text)})`,
      );
    else values.set(setting.env, parsed.value);
  }
  const get = <T extends Parsed>(name: SettingName) => values.get(name) as T;
  const optional = (name: SettingName) => (get<string | undefined>(name) || null) as string | null;

  const lockoutBase = get<number>('LOCKOUT_BASE');
  const lockoutMax = get<number>('LOCKOUT_MAX');
  if (lockoutBase !== undefined && lockoutMax !== undefined && lockoutMax < lockoutBase) {
    problems.push('LOCKOUT_MAX: must not be shorter than LOCKOUT_BASE');
  }
  const storeSetting = get<string>('RATE_LIMIT_STORE');
  if (storeSetting === 'redis' && !optional('REDIS_URL'))
    problems.push('RATE_LIMIT_STORE: redis needs REDIS_URL');
  if (get<string>('CACHE_STORE') === 'redis' && !optional('REDIS_URL'))
    problems.push('CACHE_STORE: redis needs REDIS_URL');
  const tlsUrls = get<string[]>('HEALTH_TLS_URLS') ?? [];
  const notHttps = tlsUrls.find((u) => !URL.canParse(u) || new URL(u).protocol !== 'https:');
  if (notHttps !== undefined)
    problems.push(`HEALTH_TLS_URLS: must be comma-separated https:// URLs (bad: ${notHttps})`);
  const tlsDown = get<number>('HEALTH_TLS_DOWN_DAYS');
  const tlsDegraded = get<number>('HEALTH_TLS_DEGRADED_DAYS');
  if (tlsDown !== undefined && tlsDegraded !== undefined && tlsDown >= tlsDegraded)
    problems.push('HEALTH_TLS_DOWN_DAYS: must be less than HEALTH_TLS_DEGRADED_DAYS');
  const backupTarget = get<string>('BACKUP_TARGET');
  const copyTarget = get<string>('BACKUP_COPY_TARGET');
  if ((backupTarget === 's3' || copyTarget === 's3') && !optional('BACKUP_S3_BUCKET'))
    problems.push('BACKUP_S3_BUCKET: an s3 backup target needs a bucket');
  if (backupTarget === 's3' && copyTarget === 's3')
    problems.push('BACKUP_COPY_TARGET: the copy must go elsewhere than the primary s3 target');
  if (copyTarget === 'directory' && !optional('BACKUP_COPY_DIR'))
    problems.push('BACKUP_COPY_DIR: BACKUP_COPY_TARGET=directory needs a directory');
  if (optional('BACKUP_PASSPHRASE') && optional('BACKUP_KEY_FILE'))
    problems.push('BACKUP_KEY_FILE: set either BACKUP_PASSPHRASE or BACKUP_KEY_FILE, not both');
  const sentryDsn = optional('SENTRY_DSN');
  if (sentryDsn && (!new URL(sentryDsn).username || !/\/[^/]+\/?$/.test(new URL(sentryDsn).pathname)))
    problems.push('SENTRY_DSN: must name a key and a project (https://KEY@host/PROJECT)');
  if (problems.length > 0) throw new ConfigError(problems);

  const port = get<number>('PORT');
  const rateLimitStore =
    storeSetting === 'auto'
      ? optional('REDIS_URL')
        ? 'redis'
        : optional('DATABASE_URL')
          ? 'postgres'
          : 'memory'
      : (storeSetting as Config['rateLimitStore']);

  return {
    host: get('HOST'),
    port,
    publicUrl: (optional('PUBLIC_URL') ?? `http://localhost:${port}`).replace(/\/$/, ''),
    dataDir: path.resolve(get<string>('BUL_DATA_DIR')),
    role: get('BUL_ROLE'),
    databaseUrl: optional('DATABASE_URL'),
    databaseAppRole: get('DATABASE_APP_ROLE'),
    databaseAppPassword: optional('DATABASE_APP_PASSWORD'),
    databasePoolMax: get('DATABASE_POOL_MAX'),
    redisUrl: optional('REDIS_URL'),
    cache: {
      store: get('CACHE_STORE'),
      maxBytes: get('CACHE_MAX_BYTES'),
      ttlMs: get('CACHE_TTL_MS'),
      staleMs: get('CACHE_STALE_MS'),
    },
    logLevel: get('LOG_LEVEL'),
    logFormat: get('LOG_FORMAT'),
    masterKey: optional('BUL_MASTER_KEY'),
    bodyLimit: get('BODY_LIMIT'),
    maxUploadSize: get('MAX_UPLOAD_SIZE'),
    allowedExtensions: get<string[]>('ALLOWED_EXTENSIONS').map((e) => e.toLowerCase().replace(/^\./, '')),
    importMaxRows: get('IMPORT_MAX_ROWS'),
    trustProxy: get('TRUST_PROXY'),
    corsOrigins: get('CORS_ORIGINS'),
    baseDomain: optional('BASE_DOMAIN'),
    registrationEnabled: get('REGISTRATION_ENABLED'),
    accessTokenTtl: get('ACCESS_TOKEN_TTL'),
    refreshTokenTtl: get('REFRESH_TOKEN_TTL'),
    sessionTtl: get('SESSION_TTL'),
    sessionIdleTimeout: get('SESSION_IDLE_TIMEOUT'),
    jwtKeyRotation: get('JWT_KEY_ROTATION'),
    invitationTtl: get('INVITATION_TTL'),
    mfaIssuer: get('MFA_ISSUER'),
    passwordMinLength: get('PASSWORD_MIN_LENGTH'),
    rateLimitStore,
    rateLimitSyncIntervalMs: get('RATE_LIMIT_SYNC_INTERVAL_MS'),
    rateLimit: {
      ipPerMinute: get('RATE_LIMIT_IP_PER_MINUTE'),
      userPerMinute: get('RATE_LIMIT_USER_PER_MINUTE'),
      loginBurst: get('RATE_LIMIT_LOGIN_BURST'),
      loginPerSecond: get('RATE_LIMIT_LOGIN_PER_SECOND'),
    },
    lockout: {
      accountThreshold: get('LOCKOUT_ACCOUNT_THRESHOLD'),
      ipThreshold: get('LOCKOUT_IP_THRESHOLD'),
      baseSeconds: lockoutBase,
      maxSeconds: lockoutMax,
    },
    ipAllowlist: get('IP_ALLOWLIST'),
    ipDenylist: get('IP_DENYLIST'),
    metricsToken: optional('METRICS_TOKEN'),
    otelEndpoint: optional('OTEL_EXPORTER_OTLP_ENDPOINT'),
    sentryDsn: optional('SENTRY_DSN'),
    sentryEnvironment: get('SENTRY_ENVIRONMENT'),
    defaultPlan: get('DEFAULT_PLAN'),
    workerConcurrency: get('WORKER_CONCURRENCY'),
    jobWorkerHeartbeatSeconds: get('JOB_WORKER_HEARTBEAT_SECONDS'),
    auditSealIntervalMs: get('AUDIT_SEAL_INTERVAL_MS'),
    webhookAllowPrivate: get('WEBHOOK_ALLOW_PRIVATE'),
    webhookTimeoutMs: get('WEBHOOK_TIMEOUT_MS'),
    webhookConcurrency: get('WEBHOOK_CONCURRENCY'),
    smtp: optional('SMTP_HOST')
      ? {
          host: get('SMTP_HOST'),
          port: get('SMTP_PORT'),
          secure: get('SMTP_SECURE'),
          user: optional('SMTP_USER'),
          password: optional('SMTP_PASSWORD'),
          from: get('SMTP_FROM'),
        }
      : null,
    notifyConcurrency: get('NOTIFY_CONCURRENCY'),
    notifyLeaseSeconds: get('NOTIFY_LEASE_SECONDS'),
    notifyProviderTimeoutMs: get('NOTIFY_PROVIDER_TIMEOUT_MS'),
    wsHeartbeatMs: get('WS_HEARTBEAT_MS'),
    wsRevalidateMs: get('WS_REVALIDATE_MS'),
    wsMessagesPerSecond: get('WS_MESSAGES_PER_SECOND'),
    wsResumeLimit: get('WS_RESUME_LIMIT'),
    wsMaxConnections: get('WS_MAX_CONNECTIONS'),
    wsMaxConnectionsPerUser: get('WS_MAX_CONNECTIONS_PER_USER'),
    eventHandlerMaxAttempts: get('EVENT_HANDLER_MAX_ATTEMPTS'),
    eventRetryBaseMs: get('EVENT_RETRY_BASE_MS'),
    eventPollIntervalMs: get('EVENT_POLL_INTERVAL_MS'),
    eventRetentionDays: get('EVENT_RETENTION_DAYS'),
    shutdownTimeout: get('SHUTDOWN_TIMEOUT'),
    monitor: {
      sampleSeconds: get('MONITOR_SAMPLE_SECONDS'),
      rawRetention: get('MONITOR_RETENTION_RAW'),
      minuteRetention: get('MONITOR_RETENTION_MINUTE'),
      hourRetention: get('MONITOR_RETENTION_HOUR'),
    },
    health: {
      everySeconds: get('HEALTH_CHECK_SECONDS'),
      timeoutMs: get('HEALTH_CHECK_TIMEOUT_MS'),
      retentionDays: get('HEALTH_RETENTION_DAYS'),
      queueMaxAgeSeconds: get('HEALTH_QUEUE_MAX_AGE_SECONDS'),
      tls: { urls: tlsUrls, ca: optional('HEALTH_TLS_CA'), degradedDays: tlsDegraded, downDays: tlsDown },
    },
    geoIpDbPath: optional('GEOIP_DB_PATH'),
    alertRetentionDays: get('ALERT_RETENTION_DAYS'),
    backup: {
      dir: path.resolve(optional('BACKUP_DIR') ?? path.join(get<string>('BUL_DATA_DIR'), 'backups')),
      target: backupTarget as BackupConfig['target'],
      copyTarget: copyTarget as BackupConfig['copyTarget'],
      copyDir: optional('BACKUP_COPY_DIR') ? path.resolve(get<string>('BACKUP_COPY_DIR')) : null,
      s3: optional('BACKUP_S3_BUCKET')
        ? {
            bucket: get('BACKUP_S3_BUCKET'),
            endpoint: optional('BACKUP_S3_ENDPOINT'),
            region: get('BACKUP_S3_REGION'),
            prefix: get<string | undefined>('BACKUP_S3_PREFIX') ?? '',
            forcePathStyle: get('BACKUP_S3_FORCE_PATH_STYLE'),
            accessKeyId: optional('BACKUP_S3_ACCESS_KEY_ID'),
            secretAccessKey: optional('BACKUP_S3_SECRET_ACCESS_KEY'),
          }
        : null,
      passphrase: optional('BACKUP_PASSPHRASE'),
      keyFile: optional('BACKUP_KEY_FILE') ? path.resolve(get<string>('BACKUP_KEY_FILE')) : null,
      jobs: get('BACKUP_JOBS'),
      compressionLevel: get('BACKUP_COMPRESSION_LEVEL'),
      scratchDatabaseUrl: optional('BACKUP_SCRATCH_DATABASE_URL'),
    },
  };
}
