// `Idempotency-Key` on authenticated POSTs: the first request with a key runs; its response
// (2xx or 4xx) is kept for 24 hours and replayed, with `Idempotent-Replayed: true`, to any retry
// of the same request by the same caller. The same key with a different request is refused (422);
// a retry while the first is still running gets 409. A 5xx frees the key for another attempt.
// The kept body is sealed with the master key: some answers are shown once and never stored in
// the clear (an API key, a webhook signing secret).
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Db } from '../db/transaction.ts';
import { AppError, fieldError } from '../errors.ts';
import { HTTP } from './messages.ts';

const TTL_HOURS = 24;
const KEY = /^[\x21-\x7e]{1,255}$/;

interface Claim {
  userId: string;
  principal: string;
  key: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: Claim | null;
  }
}

function requestHash(request: FastifyRequest): string {
  return createHash('sha256')
    .update(
      `${request.method} ${request.routeOptions.url ?? request.url}\n${request.headers['x-organization-id'] ?? ''}\n`,
    )
    .update(JSON.stringify(request.body ?? null))
    .digest('hex');
}

/** Bodies kept before they were sealed carry no prefix; they expire within TTL_HOURS of an upgrade. */
const SEALED = 'sealed:';
const AAD = 'idempotency-body';

export function registerIdempotency(app: FastifyInstance, db: Db, box: SecretBox): void {
  const unseal = (body: string | null) =>
    body?.startsWith(SEALED) ? box.open(body.slice(SEALED.length), AAD).toString('utf8') : body;
  app.decorateRequest('idempotency', null);

  app.addHook('preHandler', async (request, reply) => {
    const header = request.headers['idempotency-key'];
    if (request.method !== 'POST' || header === undefined || !request.principal) return;
    // Uploads are streamed to the handler, so there is no body to fingerprint here; the key is
    // not honoured on multipart requests (a retried upload creates a second attachment).
    if (request.isMultipart()) return;
    if (typeof header !== 'string' || !KEY.test(header)) {
      throw new AppError('validation-failed', HTTP.idempotencyKey(), {
        errors: [fieldError('idempotency-key', 'format', HTTP.idempotencyKeyField(), 'headers')],
      });
    }
    const p = request.principal;
    const claim: Claim = {
      userId: p.userId,
      principal: p.apiKeyId ? `api_key:${p.apiKeyId}` : `user:${p.userId}`,
      key: header,
    };
    const hash = requestHash(request);
    const existing = await db.transaction({ orgId: null, userId: p.userId }, async (tx) => {
      await tx.query(
        'DELETE FROM idempotency_keys WHERE user_id = $1 AND principal = $2 AND key = $3 AND expires_at < now()',
        [claim.userId, claim.principal, claim.key],
      );
      const inserted = await tx.query(
        `INSERT INTO idempotency_keys (user_id, principal, key, request_hash, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(hours => ${TTL_HOURS}))
         ON CONFLICT DO NOTHING`,
        [claim.userId, claim.principal, claim.key, hash],
      );
      if (inserted.rowCount) return null;
      const { rows } = await tx.query<{
        request_hash: string;
        status: number | null;
        content_type: string | null;
        body: string | null;
      }>(
        'SELECT request_hash, status, content_type, body FROM idempotency_keys WHERE user_id = $1 AND principal = $2 AND key = $3',
        [claim.userId, claim.principal, claim.key],
      );
      return rows[0] ?? null;
    });
    if (!existing) {
      request.idempotency = claim;
      return;
    }
    if (existing.request_hash !== hash) {
      throw new AppError('idempotency-key-reused', HTTP.idempotencyKeyReused());
    }
    if (existing.status === null) throw new AppError('conflict', HTTP.idempotencyInFlight());
    reply.header('idempotent-replayed', 'true');
    if (existing.content_type) reply.type(existing.content_type);
    return reply.code(existing.status).send(unseal(existing.body) ?? undefined);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotency;
    if (!claim) return payload;
    request.idempotency = null;
    const where = [claim.userId, claim.principal, claim.key];
    await db.transaction({ orgId: null, userId: claim.userId }, async (tx) => {
      if (reply.statusCode >= 500) {
        await tx.query(
          'DELETE FROM idempotency_keys WHERE user_id = $1 AND principal = $2 AND key = $3',
          where,
        );
      } else {
        const body =
          typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : null;
        await tx.query(
          'UPDATE idempotency_keys SET status = $4, content_type = $5, body = $6 WHERE user_id = $1 AND principal = $2 AND key = $3',
          [
            ...where,
            reply.statusCode,
            String(reply.getHeader('content-type') ?? ''),
            body === null ? null : SEALED + box.seal(body, AAD),
          ],
        );
      }
    });
    return payload;
  });
}
