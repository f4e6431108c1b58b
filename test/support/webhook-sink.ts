// A local webhook receiver for tests (node:http on a free port): records every request, answers
// as the test says (a status, a redirect, a hang, a huge body), and verifies each signature with
// the `standardwebhooks` package when given the endpoint's secret.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface SinkRequest {
  headers: http.IncomingHttpHeaders;
  body: string;
  /** What Webhook.verify returned (the parsed body), or the verification error's message. */
  verified: unknown;
  verifyError: string | null;
}

export type SinkAnswer = (req: SinkRequest, res: http.ServerResponse) => void;

export interface Sink {
  url: string;
  requests: SinkRequest[];
  /** The secret to verify with (set after the endpoint is created). */
  secret: string | null;
  answer: SinkAnswer;
  close(): Promise<void>;
}

export const answerStatus =
  (status: number, body = 'ok'): SinkAnswer =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(body);
  };

export async function startSink(answer: SinkAnswer = answerStatus(200)): Promise<Sink> {
  const sockets = new Set<import('node:net').Socket>();
  const sink: Sink = {
    url: '',
    requests: [],
    secret: null,
    answer,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r: SinkRequest = { headers: req.headers, body, verified: null, verifyError: null };
      if (sink.secret) {
        try {
          r.verified = new Webhook(sink.secret).verify(body, req.headers as Record<string, string>);
        } catch (err) {
          r.verifyError = (err as Error).message;
        }
      }
      sink.requests.push(r);
      sink.answer(r, res);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return sink;
}
