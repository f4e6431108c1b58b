// The one catalogue of error codes. Services throw AppError with a code; the HTTP layer turns it
// into an RFC 9457 problem+json whose `type` is `urn:bul:error:<code>` and whose status comes from
// this table. The catalogue is served at GET /api/v1/errors and listed in the OpenAPI description.
// Human text (title, detail, field messages) is answered in the request's language: titles per
// code in i18n/error-titles.ts, details and field messages as messages (i18n/message.ts).
import { HTTP } from './http/messages.ts';
import { isMsg, type Msg, render } from './i18n/message.ts';
import { type ResourceName, resourceName } from './i18n/resource-names.ts';

export const ERROR_CATALOGUE = {
  'validation-failed': {
    status: 400,
    title: 'The request is not valid',
    description: 'A body, query or path value breaks a rule; `errors[]` names each field and rule.',
  },
  'malformed-json': {
    status: 400,
    title: 'The body is not valid JSON',
    description: 'The request body could not be parsed.',
  },
  unauthenticated: {
    status: 401,
    title: 'Authentication is required',
    description: 'No valid credentials (Bearer JWT, API key or session cookie) were sent.',
  },
  'invalid-credentials': {
    status: 401,
    title: 'E-mail or password is wrong',
    description: 'Login failed. The answer does not say which part was wrong.',
  },
  'invalid-mfa-code': {
    status: 401,
    title: 'The verification code is wrong',
    description: 'A TOTP or recovery code was wrong, expired or already used.',
  },
  'invalid-token': {
    status: 401,
    title: 'The token is not valid',
    description:
      'A refresh, MFA, invitation, access or unsubscribe token is unknown, expired, revoked, reused or altered.',
  },
  'invalid-signature': {
    status: 401,
    title: 'The signature does not match',
    description:
      "A provider's callback (X-Twilio-Signature, X-Hub-Signature-256, a verify token) does not match the channel's credentials; nothing was changed.",
  },
  'csrf-failed': {
    status: 403,
    title: 'CSRF token missing or wrong',
    description: 'Cookie-authenticated writes need the X-CSRF-Token header given at login.',
  },
  forbidden: {
    status: 403,
    title: 'Not allowed',
    description: 'The caller lacks the permission the route requires (named in `permission`).',
  },
  'mfa-enrollment-required': {
    status: 403,
    title: 'Multi-factor authentication is required',
    description: 'The organization requires MFA; enrol before continuing.',
  },
  'ip-blocked': {
    status: 403,
    title: 'Access from this address is not allowed',
    description: 'A global or organization IP rule refuses the client address.',
  },
  'organization-suspended': {
    status: 403,
    title: 'The organization is suspended',
    description: 'A platform administrator suspended the organization.',
  },
  'account-disabled': {
    status: 403,
    title: 'The account is disabled',
    description: 'The user or membership was disabled.',
  },
  'quota-exceeded': {
    status: 403,
    title: 'Plan limit reached',
    description: 'The organization reached a limit of its plan; `limit` and `usage` say which and how far.',
  },
  'registration-closed': {
    status: 403,
    title: 'Registration is closed',
    description: 'REGISTRATION_ENABLED is false on this installation.',
  },
  'not-found': {
    status: 404,
    title: 'Not found',
    description: 'No such resource in the organization the caller acts for.',
  },
  conflict: {
    status: 409,
    title: 'Conflict with the current state',
    description: 'The change conflicts with existing data (a duplicate, a last admin, a cycle...).',
  },
  'invalid-transition': {
    status: 409,
    title: 'That status change is not allowed',
    description:
      'The resource cannot move from its current status to the requested one; `allowedMoves` lists the moves that are.',
  },
  'financial-history': {
    status: 409,
    title: 'That would rewrite financial history',
    description:
      'Deleting the resource would change past revenue, MRR or satisfaction; the detail says what it has and what to do instead (archive a client, end a contract).',
  },
  'precondition-failed': {
    status: 412,
    title: 'The resource changed meanwhile',
    description: 'The If-Match version is not the current one; nothing was changed.',
  },
  'payload-too-large': {
    status: 413,
    title: 'The request body is too large',
    description: 'The body exceeds BODY_LIMIT, or an uploaded file exceeds MAX_UPLOAD_SIZE.',
  },
  'unsupported-media-type': {
    status: 415,
    title: 'Unsupported content type',
    description: 'Send application/json (multipart/form-data for uploads and imports).',
  },
  'unsupported-file': {
    status: 415,
    title: 'The file type is not accepted',
    description:
      'The file name extension is not in ALLOWED_EXTENSIONS, or the content is not what the extension claims.',
  },
  'invalid-file': {
    status: 422,
    title: 'The file cannot be read',
    description:
      'An uploaded CSV or XLSX is damaged, is not what it claims to be, or would expand beyond safe limits (zip bomb).',
  },
  'import-invalid': {
    status: 422,
    title: 'The import has invalid rows',
    description:
      'Nothing was stored; `rowErrors[]` lists each bad row as { row, column, message } (row 1 is the header).',
  },
  'backup-unusable': {
    status: 422,
    title: 'The backup cannot be used',
    description:
      'The backup cannot be read or restored here: wrong key, altered or missing part, broken chain, another installation, or another schema version; `backupError` names the reason (and `part`, `offset` where known).',
  },
  'weak-password': {
    status: 422,
    title: 'The password is too weak',
    description: 'Too short, or in the list of commonly breached passwords.',
  },
  'idempotency-key-reused': {
    status: 422,
    title: 'Idempotency key reused with another request',
    description: 'The Idempotency-Key was already used with a different request body or route.',
  },
  'rate-limited': {
    status: 429,
    title: 'Too many requests',
    description: 'A rate limit was hit; retry after `Retry-After` seconds.',
  },
  'account-locked': {
    status: 429,
    title: 'Too many failed logins',
    description:
      'The account or address is locked out for `Retry-After` seconds; the lock grows with each failure.',
  },
  'request-quota-exceeded': {
    status: 429,
    title: 'Monthly API request quota reached',
    description: 'The plan allows no more API requests this month; `limit` and `usage` give the numbers.',
  },
  internal: {
    status: 500,
    title: 'Internal error',
    description: 'An unexpected failure; the request id identifies it in the logs.',
  },
  unavailable: {
    status: 503,
    title: 'Service unavailable',
    description: 'A dependency (database) is not reachable, or the server is shutting down.',
  },
} as const satisfies Record<string, { status: number; title: string; description: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface FieldError {
  field: string;
  in?: 'body' | 'query' | 'params' | 'headers';
  rule: string;
  /** English; the answer carries `msg` rendered in the request's language when there is one. */
  message: string;
  msg?: Msg;
}

export interface AppErrorOptions {
  errors?: FieldError[];
  /** Extension members added to the problem document (limit, usage, allowed moves...). */
  extra?: Record<string, unknown>;
  retryAfterSeconds?: number;
}

/** A failure with a catalogued meaning. Services throw it; they never speak HTTP. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly errors: FieldError[] | undefined;
  readonly extra: Record<string, unknown> | undefined;
  readonly retryAfterSeconds: number | undefined;
  /** The detail as a message to render per language (`message` holds its English text, for logs). */
  readonly detail: Msg | undefined;

  constructor(code: ErrorCode, detail?: string | Msg, options: AppErrorOptions = {}) {
    super(detail === undefined ? ERROR_CATALOGUE[code].title : isMsg(detail) ? render(detail) : detail);
    this.name = 'AppError';
    this.code = code;
    this.detail = isMsg(detail) ? detail : undefined;
    this.errors = options.errors;
    this.extra = options.extra;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }
}

/** A field error whose message is rendered per language. */
export function fieldError(
  field: string,
  rule: string,
  msg: Msg,
  where: FieldError['in'] = 'body',
): FieldError {
  return { field, in: where, rule, message: render(msg), msg };
}

/** A single invalid field, for rules that schemas cannot express (checked in services). */
export function invalidField(field: string, rule: string, message: Msg): AppError {
  return new AppError('validation-failed', message, { errors: [fieldError(field, rule, message)] });
}

export const notFound = (what: ResourceName): AppError =>
  new AppError('not-found', HTTP.notFound({ what: resourceName(what) }));
