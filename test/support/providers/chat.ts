// One local HTTP server (node:http on a free port) playing the Slack, Microsoft Teams and Discord
// incoming-webhook endpoints with their documented answers, recording every request:
//   POST /slack/T000/B000/<token>      200 `ok`; errors as plain text (400 invalid_payload,
//                                      403 action_prohibited, 404 channel_not_found / no_service,
//                                      410 channel_is_archived, 429 rate limited + Retry-After)
//   POST /teams/<workflow>             202 (Power Automate workflows) or 200 `1`; 400, 429 + Retry-After
//   POST /discord/api/webhooks/<id>/<token>[?wait=true]
//                                      200 the created message as JSON (with wait=true), else 204;
//                                      404 {code:10015, message:'Unknown Webhook'}; 429 JSON
//                                      {message, retry_after (seconds), global} + Retry-After (whole seconds)
// A test scripts the next answers with `failNext(service, ...)`; unscripted requests succeed.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ChatService = 'slack' | 'teams' | 'discord';

export interface ChatRequest {
  service: ChatService;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: unknown;
}

export type ChatFailure =
  | { kind: 'rate_limited'; retryAfterSeconds: number }
  | { kind: 'bad_payload' }
  | { kind: 'not_found' }
  | { kind: 'archived' }
  | { kind: 'server_error' }
  | { kind: 'hang' };

export interface ChatPeer {
  base: string;
  slackUrl: string;
  teamsUrl: string;
  discordUrl: string;
  requests: ChatRequest[];
  /** The next requests to `service` get these answers, in order. */
  failNext(service: ChatService, ...failures: ChatFailure[]): void;
  close(): Promise<void>;
}

function send(
  res: http.ServerResponse,
  status: number,
  body: string | object,
  headers: Record<string, string> = {},
) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
  res.writeHead(status, { 'content-type': type, ...headers });
  res.end(text);
}

function answerSlack(res: http.ServerResponse, f: ChatFailure | undefined) {
  if (!f) return send(res, 200, 'ok');
  if (f.kind === 'rate_limited')
    return send(res, 429, 'rate_limited', { 'retry-after': String(f.retryAfterSeconds) });
  if (f.kind === 'bad_payload') return send(res, 400, 'invalid_payload');
  if (f.kind === 'not_found') return send(res, 404, 'no_service');
  if (f.kind === 'archived') return send(res, 410, 'channel_is_archived');
  return send(res, 500, 'rollup_error');
}

function answerTeams(res: http.ServerResponse, f: ChatFailure | undefined) {
  if (!f) {
    res.writeHead(202);
    return res.end();
  }
  if (f.kind === 'rate_limited')
    return send(
      res,
      429,
      { error: { code: 'TooManyRequests' } },
      { 'retry-after': String(f.retryAfterSeconds) },
    );
  if (f.kind === 'bad_payload') return send(res, 400, { error: { code: 'InvalidRequestContent' } });
  if (f.kind === 'not_found') return send(res, 404, { error: { code: 'WorkflowNotFound' } });
  if (f.kind === 'archived') return send(res, 410, { error: { code: 'Gone' } });
  return send(res, 502, { error: { code: 'BadGateway' } });
}

let discordIds = 1_200_000_000_000_000_000n;
function answerDiscord(res: http.ServerResponse, f: ChatFailure | undefined, req: ChatRequest) {
  if (!f) {
    if (req.query.get('wait') !== 'true') {
      res.writeHead(204);
      return res.end();
    }
    discordIds += 1n;
    const content = (req.json as { content?: string }).content ?? '';
    return send(res, 200, { id: String(discordIds), type: 0, content, webhook_id: '1' });
  }
  if (f.kind === 'rate_limited')
    return send(
      res,
      429,
      { message: 'You are being rate limited.', retry_after: f.retryAfterSeconds, global: false },
      { 'retry-after': String(Math.ceil(f.retryAfterSeconds)) },
    );
  if (f.kind === 'bad_payload')
    return send(res, 400, { code: 50006, message: 'Cannot send an empty message' });
  if (f.kind === 'not_found') return send(res, 404, { code: 10015, message: 'Unknown Webhook' });
  if (f.kind === 'archived') return send(res, 403, { code: 50001, message: 'Missing Access' });
  return send(res, 503, { message: 'Service Unavailable' });
}

export async function startChatPeer(): Promise<ChatPeer> {
  const queued: Record<ChatService, ChatFailure[]> = { slack: [], teams: [], discord: [] };
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://peer');
      const service = url.pathname.split('/')[1] as ChatService;
      if (req.method !== 'POST' || !(service in queued)) return send(res, 404, 'not found');
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        // recorded as is; the services answer 400
      }
      const r: ChatRequest = {
        service,
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        json,
      };
      peer.requests.push(r);
      const failure = queued[service].shift();
      if (failure?.kind === 'hang') return; // never answers: the caller's timeout must end it
      if (json === null && !failure) {
        if (service === 'discord')
          return send(res, 400, { code: 50109, message: 'The request body contains invalid JSON.' });
        return send(res, 400, service === 'slack' ? 'invalid_payload' : 'bad request');
      }
      if (service === 'slack') answerSlack(res, failure);
      else if (service === 'teams') answerTeams(res, failure);
      else answerDiscord(res, failure, r);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const peer: ChatPeer = {
    base,
    slackUrl: `${base}/slack/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX`,
    teamsUrl: `${base}/teams/workflows/abc123/triggers/manual/paths/invoke?api-version=1&sig=s3cret`,
    discordUrl: `${base}/discord/api/webhooks/1234567890/tokentoken`,
    requests: [],
    failNext(service, ...failures) {
      queued[service].push(...failures);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return peer;
}
