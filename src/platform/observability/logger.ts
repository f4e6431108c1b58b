// pino options shared by the HTTP server and the CLI: JSON lines, secrets redacted.
import type { LoggerOptions } from 'pino';

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { service: 'bul', pid: process.pid },
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
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

/** A request id from the client's X-Request-Id if it is a sane token, else a fresh one. */
export function requestIdFrom(header: string | string[] | undefined, fresh: () => string): string {
  if (typeof header === 'string' && /^[A-Za-z0-9._:-]{1,100}$/.test(header)) return header;
  return fresh();
}
