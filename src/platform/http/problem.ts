// Every failure leaves as an RFC 9457 problem document; nothing else (no stack, no SQL) reaches
// the client. Known failures come as AppError; framework and driver errors are translated here.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERROR_CATALOGUE, type ErrorCode, type FieldError } from '../errors.ts';
import { toFieldErrors } from './validation.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export function problemBody(error: AppError, requestId: string) {
  const entry = ERROR_CATALOGUE[error.code];
  return {
    type: `urn:bul:error:${error.code}`,
    title: entry.title,
    status: entry.status,
    detail: error.message,
    instance: requestId,
    ...(error.errors ? { errors: error.errors } : {}),
    ...(error.extra ?? {}),
  };
}

export function sendProblem(reply: FastifyReply, error: AppError): FastifyReply {
  if (error.retryAfterSeconds !== undefined)
    reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
  return reply
    .code(error.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(problemBody(error, String(reply.request.id)));
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation-failed',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed-json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-json',
  FST_ERR_CTP_INSTANCE_ALREADY_STARTED: 'internal',
};

/** PostgreSQL errors that reflect the request rather than a bug (constraint names say which rule). */
function fromDatabase(err: { code?: string; constraint?: string; detail?: string }): AppError | null {
  switch (err.code) {
    case '23505':
      return new AppError(
        'conflict',
        `a record with the same ${err.constraint ? constraintSubject(err.constraint) : 'values'} already exists`,
      );
    case '23503':
      return new AppError('conflict', 'the change refers to, or is referred to by, another record');
    case '23514':
    case '23502':
    case '22001':
    case '22P02':
    case '22007':
    case '22008':
    case '22003':
    case '22021': // invalid byte sequence (a NUL character in text)
    case '22P05': // untranslatable character
      return new AppError('validation-failed', `a value breaks the rule ${err.constraint ?? err.code}`, {
        errors: [{ field: err.constraint ?? '(unknown)', rule: err.code, message: 'is not acceptable' }],
      });
    case '40001':
    case '40P01':
      return new AppError('conflict', 'the change collided with a concurrent change; retry it');
    case '57014':
    case '57P01':
    case '08006':
    case '08001':
    case '53300':
      return new AppError('unavailable', 'the database is not available right now');
    default:
      return null;
  }
}

function constraintSubject(constraint: string): string {
  return constraint
    .replace(/_(key|pkey|idx)$/, '')
    .replace(/^[a-z]+_/, '')
    .replace(/_/g, ' ');
}

export function toAppError(err: unknown): { error: AppError; unexpected: boolean } {
  if (err instanceof AppError) return { error: err, unexpected: err.code === 'internal' };
  const e = err as FastifyError & { validation?: unknown[]; validationContext?: string; code?: string };
  if (Array.isArray(e.validation)) {
    const errors: FieldError[] = toFieldErrors(e.validation as never, e.validationContext);
    const first = errors[0];
    const detail = first
      ? `${first.field} ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`
      : 'invalid request';
    return { error: new AppError('validation-failed', detail, { errors }), unexpected: false };
  }
  if (e.code && FASTIFY_CODES[e.code]) {
    const code = FASTIFY_CODES[e.code]!;
    const detail = code === 'malformed-json' ? 'the request body is not valid JSON' : e.message;
    return { error: new AppError(code, detail), unexpected: code === 'internal' };
  }
  if (e instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { error: new AppError('malformed-json', 'the request body is not valid JSON'), unexpected: false };
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    // Other client errors raised by Fastify or its plugins (prototype poisoning, bad headers...).
    const code: ErrorCode =
      e.statusCode === 413
        ? 'payload-too-large'
        : e.statusCode === 415
          ? 'unsupported-media-type'
          : 'validation-failed';
    return { error: new AppError(code, e.message), unexpected: false };
  }
  const db = fromDatabase(e as never);
  if (db) return { error: db, unexpected: db.code === 'unavailable' };
  if ((e as { code?: string }).code === 'ECONNREFUSED')
    return { error: new AppError('unavailable'), unexpected: true };
  return {
    error: new AppError('internal', 'an unexpected error occurred; quote the request id when reporting it'),
    unexpected: true,
  };
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { error, unexpected } = toAppError(err);
    if (unexpected) request.log.error({ err }, 'request failed');
    else if (error.status >= 500) request.log.warn({ err }, 'request failed');
    return sendProblem(reply, error);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, new AppError('not-found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}
