// The webhook sink of the events benchmark (bench/events.ts), in a process of its own so that its
// receive times do not wait on the load generator's event loop: a bare node:http server that
// answers every POST with 204 and records when it arrived and what it names. A body names a task
// (a BUL webhook: `{type, timestamp, data: {id}}`), a notification (the notification webhook
// channel: `{type, timestamp, data: {notificationId}}`; bench/notifications.ts) or a ceiling
// message (`{id, sentAt}`).
// Times are wall-clock milliseconds with sub-millisecond precision (clock.ts), comparable with the
// runner's. The parent (IPC) asks for the records with
// `{ take: true }`; the sink answers `{ records }` and forgets them.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { now } from './clock.ts';

export interface SinkRecord {
  /** The task's id (webhook), the notification's id, or the ceiling message's id. */
  key: string;
  receivedAt: number;
  /** The webhook's `timestamp` (the event's occurred_at) in ms, or the ceiling sender's sentAt. */
  stampedAt: number | null;
  /** The `webhook-id` header (the event id), when there is one. */
  webhookId: string | null;
}

let records: SinkRecord[] = [];
let unreadable = 0;

const server = http.createServer((req, res) => {
  const receivedAt = now();
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        id?: string;
        sentAt?: number;
        timestamp?: string;
        data?: { id?: string; notificationId?: string };
      };
      const key = body.data?.id ?? body.data?.notificationId ?? body.id;
      if (!key) throw new Error('no id');
      const stampedAt = body.sentAt ?? (body.timestamp ? Date.parse(body.timestamp) : null);
      const webhookId = req.headers['webhook-id'];
      records.push({
        key,
        receivedAt,
        stampedAt,
        webhookId: typeof webhookId === 'string' ? webhookId : null,
      });
    } catch {
      unreadable++;
    }
    res.writeHead(204);
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send!({ port: (server.address() as AddressInfo).port });
});
process.on('message', (m: { take?: boolean }) => {
  if (m.take) {
    process.send!({ records, unreadable });
    records = [];
    unreadable = 0;
  }
});
process.on('disconnect', () => process.exit(0));
