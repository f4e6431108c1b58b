// `GET /ws`: the WebSocket endpoint. The upgrade request goes through the request pipeline like any
// API request (IP rules, per-IP limit, authentication, tenancy guard, per-user limit), so a refusal
// is an HTTP problem before any upgrade. Then: a browser session must come from this site (Origin:
// a cookie is sent by the browser whichever page opens the socket), and the connection needs an
// organization. docs/realtime.md documents the protocol.
import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import { isUuid } from '../db/ids.ts';
import { AppError, fieldError } from '../errors.ts';
import { HTTP } from '../http/messages.ts';
import type { Principal } from '../http/request-context.ts';
import { negotiateLocale } from '../i18n/locale.ts';
import { CLOSE, RealtimeConnection } from './connection.ts';
import type { RealtimeHub } from './hub.ts';
import { REALTIME } from './messages.ts';

/** Largest message a client may send; a larger one closes its connection (1009). */
const MAX_CLIENT_MESSAGE = 16 * 1024;
const CLOSE_GRACE_MS = 2000;

export interface RealtimeRouteOptions {
  hub: RealtimeHub;
  pool: pg.Pool;
  log: Logger;
  /** Origins allowed for cookie sessions besides the request's own host (PUBLIC_URL, CORS_ORIGINS). */
  origins: readonly string[];
  /** Authenticates the upgrade request again (without counting it as a request); throws when it fails. */
  revalidate: (request: FastifyRequest) => Promise<Principal>;
  config: Pick<
    Config,
    | 'wsHeartbeatMs'
    | 'wsRevalidateMs'
    | 'wsMessagesPerSecond'
    | 'wsResumeLimit'
    | 'wsMaxConnections'
    | 'wsMaxConnectionsPerUser'
  >;
}

/** The origins of the URLs among `values`; an entry that is not one (`*`) allows nothing more. */
function originsOf(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    try {
      out.push(new URL(v).origin);
    } catch {
      // not a URL: no origin to allow
    }
  }
  return out;
}

/**
 * What a later check of the credentials needs of the upgrade request (headers, cookies, address):
 * kept instead of the request itself, which holds far more for as long as the connection lives.
 */
function credentialsOf(request: FastifyRequest): FastifyRequest {
  return {
    headers: { ...request.headers },
    cookies: { ...request.cookies },
    ip: request.ip,
    method: 'GET',
    hostname: request.hostname,
    host: request.host,
  } as unknown as FastifyRequest;
}

function originAllowed(request: FastifyRequest, allowed: readonly string[]): string | null {
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return '(none)';
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return origin;
  }
  if (url.host === request.host || allowed.includes(url.origin)) return null;
  return origin;
}

/**
 * The WebSocket upgrade support, registered before the request pipeline: its request hook marks
 * an upgrade request first, so an upgrade the pipeline refuses (401, 403, 429) still has its
 * socket closed after the problem is sent.
 */
export async function registerWebSocketSupport(app: FastifyInstance, hub: RealtimeHub): Promise<void> {
  await app.register(websocket, {
    options: { maxPayload: MAX_CLIENT_MESSAGE },
    // Clients are told the server is stopping (1001) and reconnect to another process; those
    // that do not finish the closing handshake within CLOSE_GRACE_MS are cut off.
    preClose(done) {
      hub.shutdown();
      const wss = this.websocketServer;
      for (const c of wss.clients) c.close(CLOSE.stopping, 'server stopping');
      const cut = setTimeout(() => {
        for (const c of wss.clients) c.terminate();
      }, CLOSE_GRACE_MS);
      wss.close(() => {
        clearTimeout(cut);
        done();
      });
    },
  });
}

/** `GET /ws`, after the request pipeline (which authenticates it). */
export function registerRealtimeRoute(app: FastifyInstance, o: RealtimeRouteOptions): void {
  o.hub.startHeartbeat(o.config.wsHeartbeatMs);
  const origins = originsOf(o.origins);

  app.get<{ Querystring: { lastEventId?: string } }>(
    '/ws',
    {
      websocket: true,
      config: { access: { authenticated: true } },
      preValidation: async (request) => {
        if (!request.ws) throw new AppError('validation-failed', REALTIME.notWebSocket());
        const principal = request.principal!;
        if (principal.kind === 'session') {
          const refused = originAllowed(request, origins);
          if (refused !== null) throw new AppError('forbidden', REALTIME.originRefused({ origin: refused }));
        }
        if (!principal.org) throw new AppError('forbidden', HTTP.noOrganization());
        if (o.hub.connectionCount >= o.config.wsMaxConnections)
          throw new AppError('unavailable', REALTIME.processFull(), { retryAfterSeconds: 5 });
        const holder = principal.apiKeyId ?? principal.userId;
        if (o.hub.connectionsOf(holder) >= o.config.wsMaxConnectionsPerUser)
          throw new AppError(
            'rate-limited',
            REALTIME.tooManyConnections({ limit: o.config.wsMaxConnectionsPerUser }),
            { retryAfterSeconds: 60 },
          );
        const last = request.query.lastEventId;
        if (last !== undefined && !isUuid(last)) {
          throw new AppError('validation-failed', REALTIME.badMessage(), {
            errors: [fieldError('lastEventId', 'format', REALTIME.uuid(), 'query')],
          });
        }
      },
    },
    (socket, request) => {
      const principal = request.principal!;
      const credentials = credentialsOf(request);
      const connection = new RealtimeConnection({
        socket,
        principal,
        orgId: principal.org!.id,
        locale: negotiateLocale(request.headers['accept-language']),
        requestId: request.id,
        hub: o.hub,
        pool: o.pool,
        log: request.log as Logger,
        revalidate: () => o.revalidate(credentials),
        revalidateMs: o.config.wsRevalidateMs,
        messagesPerSecond: o.config.wsMessagesPerSecond,
        resumeLimit: o.config.wsResumeLimit,
        heartbeatMs: o.config.wsHeartbeatMs,
        resumeFrom: request.query.lastEventId?.toLowerCase() ?? null,
      });
      connection.start().catch((err) => {
        request.log.error({ err }, 'realtime connection failed to start');
        socket.close(CLOSE.stopping, 'try again');
      });
    },
  );
}
