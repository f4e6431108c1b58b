// The logger shared by the HTTP server and the CLI, secrets redacted. Two formats: JSON lines for
// log collectors, and one human line per event for a terminal (LOG_FORMAT; auto picks by stdout).
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import pino, { type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import { traceIdNow, tracingActive } from './telemetry.ts';

export type LogFormat = 'json' | 'pretty';

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { service: 'bul', pid: process.pid },
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    // With tracing on, every line written inside a trace names it (`traceId`).
    ...(tracingActive() ? { mixin: () => traceIdMixin() } : {}),
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-csrf-token"]',
        'res.headers["set-cookie"]',
        '*.password',
        '*.currentPassword',
        '*.newPassword',
        '*.refreshToken',
        '*.token',
      ],
      censor: '[redacted]',
    },
  };
}

function traceIdMixin(): { traceId?: string } {
  const traceId = traceIdNow();
  return traceId ? { traceId } : {};
}

/** LOG_FORMAT resolved: `auto` is pretty when stdout is a terminal (a person reads it), else JSON. */
export function resolveLogFormat(setting: string, stdout: { isTTY?: boolean } = process.stdout): LogFormat {
  if (setting === 'json' || setting === 'pretty') return setting;
  return stdout.isTTY ? 'pretty' : 'json';
}

interface LogLine {
  msg?: string;
  level?: number;
  reqId?: string;
  component?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
}

/** One line: `GET /api/v1/x 200 3 ms` for a request, else the message; the request id on warnings and errors. */
function humanMessage(log: LogLine): string {
  const prefix = log.component ? `${log.component}: ` : '';
  const message =
    log.req && log.res
      ? `${log.req.method} ${log.req.url} ${log.res.statusCode} ${Math.round(log.responseTime ?? 0)} ms`
      : (log.msg ?? '');
  const request = log.reqId && (log.level ?? 0) >= 40 ? ` (request ${log.reqId})` : '';
  return `${prefix}${message}${request}`;
}

/** The process's logger: pino writing JSON lines to stdout, or through pino-pretty when `format` is pretty. */
export function createLogger(level: string, format: LogFormat): Logger {
  if (format === 'json') return pino(loggerOptions(level));
  const stream = pretty({
    sync: true, // in order with the banner on stderr, and nothing lost on exit
    destination: 1,
    colorize: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
    translateTime: 'SYS:HH:MM:ss.l',
    singleLine: true,
    // The message says it all (humanMessage); only an error's stack follows it, on its own lines.
    include: 'level,time,err,error',
    messageFormat: (log) => humanMessage(log as LogLine),
  });
  return pino(loggerOptions(level), stream);
}

/** The logger of a command: LOG_LEVEL (or `level`) in LOG_FORMAT. */
export function configuredLogger(
  config: { logLevel: string; logFormat: string },
  level = config.logLevel,
): Logger {
  return createLogger(level, resolveLogFormat(config.logFormat));
}

/**
 * Fastify's request lines, one per request, written when the response is sent: at `info` in JSON
 * (an access log for collectors), at `debug` in a terminal so that a browser's requests do not bury
 * everything else. The arrival is logged at `trace`, for requests that never finish.
 */
export class RequestLog extends LogController {
  private readonly level: 'info' | 'debug';

  constructor(format: LogFormat) {
    super();
    this.level = format === 'pretty' ? 'debug' : 'info';
  }

  override incomingRequest(request: FastifyRequest): void {
    request.log.trace({ req: request }, 'incoming request');
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    // reply.log: the request pipeline gives it the user and organization once authenticated.
    const fields = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else reply.log[this.level](fields, 'request completed');
  }
}

/** A request id from the client's X-Request-Id if it is a sane token, else a fresh one. */
export function requestIdFrom(header: string | string[] | undefined, fresh: () => string): string {
  if (typeof header === 'string' && /^[A-Za-z0-9._:-]{1,100}$/.test(header)) return header;
  return fresh();
}
