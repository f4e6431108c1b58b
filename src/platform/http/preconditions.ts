// Optimistic concurrency: resources carry a `version`; a write may send `If-Match: "<version>"`
// and is refused with 412 if the resource has moved on. Services compare inside their transaction.
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, fieldError } from '../errors.ts';
import { type ResourceName, resourceName } from '../i18n/resource-names.ts';
import { HTTP } from './messages.ts';

// A version, quoted as the ETag answers it ("3"), bare (3) or weak (W/"3").
const IF_MATCH = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/;

/** The header of every route that honours If-Match, so that the API contract shows it. */
export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      pattern: IF_MATCH.source,
      description:
        'The version this change expects, as the ETag of the resource answers it (e.g. `"3"`). Answered with 412 `precondition-failed` (and the current version) when the resource has moved on; without it the change applies to whatever version is current.',
    }),
  ),
});

/** The version named by If-Match, or undefined when the header is absent. */
export function ifMatchVersion(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const m = IF_MATCH.exec(Array.isArray(header) ? (header[0] ?? '') : header);
  if (!m) {
    throw new AppError('validation-failed', HTTP.ifMatch(), {
      errors: [fieldError('if-match', 'format', HTTP.ifMatchField(), 'headers')],
    });
  }
  return Number(m[1]);
}

export function assertVersion(current: number, expected: number | undefined, what: ResourceName): void {
  if (expected !== undefined && expected !== current) {
    throw new AppError(
      'precondition-failed',
      HTTP.staleVersion({ what: resourceName(what), current, expected }),
      {
        extra: { currentVersion: current },
      },
    );
  }
}
