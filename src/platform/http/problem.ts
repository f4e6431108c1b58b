// Every failure leaves as an RFC 9457 problem document; nothing else (no stack, no SQL) reaches
// the client. Known failures come as AppError; framework and driver errors are translated here.
// The human text (title, detail, errors[].message) is in the language the request's
// Accept-Language asks for; `type`, `status` and each error's `field` and `rule` never change.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERROR_CATALOGUE, type ErrorCode, type FieldError, fieldError } from '../errors.ts';
import { errorTitle } from '../i18n/error-titles.ts';
import { DEFAULT_LOCALE, type Locale, negotiateLocale } from '../i18n/locale.ts';
import { render } from '../i18n/message.ts';
import { reportError, traceIdNow } from '../observability/telemetry.ts';
import { HTTP } from './messages.ts';
import { toFieldErrors } from './validation.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** Spanish and Portuguese details are sentences; a leading placeholder ("el proyecto...") is capitalized. */
const sentence = (text: string, locale: Locale) =>
  locale === 'en' ? text : text.charAt(0).toLocaleUpperCase(locale) + text.slice(1);

/** `traceId`: the request's trace when tracing is on (OTEL_EXPORTER_OTLP_ENDPOINT), to quote in a report. */
export function problemBody(
  error: AppError,
  requestId: string,
  locale: Locale = DEFAULT_LOCALE,
  traceId?: string,
) {
  const entry = ERROR_CATALOGUE[error.code];
  return {
    type: `urn:bul:error:${error.code}`,
    title: errorTitle(error.code, locale),
    status: entry.status,
    detail: error.detail
      ? sentence(render(error.detail, locale), locale)
      : error.message === entry.title
        ? errorTitle(error.code, locale) // thrown without a detail
        : error.message,
    instance: requestId,
    ...(traceId ? { traceId } : {}),
    ...(error.errors
      ? {
          errors: error.errors.map(({ msg, ...e }) => (msg ? { ...e, message: render(msg, locale) } : e)),
        }
      : {}),
    ...(error.extra ?? {}),
  };
}

/** Adds a field to the Vary header without dropping what other hooks put there. */
function addVary(reply: FastifyReply, field: string): void {
  const current = reply.getHeader('vary');
  const list =
    current === undefined
      ? []
      : String(current)
          .split(',')
          .map((v) => v.trim());
  if (list.includes('*') || list.some((v) => v.toLowerCase() === field.toLowerCase())) return;
  reply.header('vary', [...list.filter(Boolean), field].join(', '));
}

export function sendProblem(reply: FastifyReply, error: AppError): FastifyReply {
  if (error.retryAfterSeconds !== undefined)
    reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
  const locale = negotiateLocale(reply.request.headers['accept-language']);
  addVary(reply, 'Accept-Language');
  return reply
    .code(error.status)
    .type(PROBLEM_CONTENT_TYPE)
    .header('content-language', locale)
    .send(problemBody(error, String(reply.request.id), locale, traceIdNow()));
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
        err.constraint
          ? HTTP.duplicate({ subject: constraintSubject(err.constraint) })
          : HTTP.duplicateValues(),
      );
    case '23503':
      return new AppError('conflict', HTTP.reference());
    case '23514':
    case '23502':
    case '22001':
    case '22P02':
    case '22007':
    case '22008':
    case '22003':
    case '22021': // invalid byte sequence (a NUL character in text)
    case '22P05': // untranslatable character
      return new AppError('validation-failed', HTTP.databaseRule({ rule: err.constraint ?? err.code }), {
        errors: [fieldError(err.constraint ?? '(unknown)', err.code, HTTP.notAcceptable())],
      });
    case '40001':
    case '40P01':
      return new AppError('conflict', HTTP.collision());
    case '57014':
    case '57P01':
    case '08006':
    case '08001':
    case '53300':
      return new AppError('unavailable', HTTP.databaseUnavailable());
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
    const detail = !first
      ? HTTP.invalidRequest()
      : errors.length > 1
        ? HTTP.validationSummaryMore({
            field: first.field,
            message: first.msg ?? first.message,
            more: errors.length - 1,
          })
        : HTTP.validationSummary({ field: first.field, message: first.msg ?? first.message });
    return { error: new AppError('validation-failed', detail, { errors }), unexpected: false };
  }
  if (e.code && FASTIFY_CODES[e.code]) {
    const code = FASTIFY_CODES[e.code]!;
    const detail =
      code === 'malformed-json'
        ? HTTP.malformedJson()
        : code === 'payload-too-large'
          ? HTTP.bodyTooLarge()
          : code === 'unsupported-media-type'
            ? HTTP.unsupportedMediaType()
            : e.message;
    return { error: new AppError(code, detail), unexpected: code === 'internal' };
  }
  if (e instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { error: new AppError('malformed-json', HTTP.malformedJson()), unexpected: false };
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
    error: new AppError('internal', HTTP.internal()),
    unexpected: true,
  };
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { error, unexpected } = toAppError(err);
    if (unexpected) {
      request.log.error({ err }, 'request failed');
      reportError(err, {
        source: 'request',
        tags: { requestId: request.id, method: request.method, route: request.routeOptions.url },
      });
    } else if (error.status >= 500) request.log.warn({ err }, 'request failed');
    return sendProblem(reply, error);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      new AppError(
        'not-found',
        HTTP.noRoute({ method: request.method, path: request.url.split('?')[0] ?? '' }),
      ),
    ),
  );
}
