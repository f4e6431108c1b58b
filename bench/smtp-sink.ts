// The SMTP sink of the notifications benchmark (bench/notifications.ts), in a process of its own so
// that its receive times do not wait on the load generator's event loop: an smtp-server that takes
// every message without AUTH or STARTTLS and records when its DATA ended and which notification it
// carries (the `X-BUL-Notification-Id` header BUL's e-mail channel sets; the ceiling sender sets
// the same). Unlike test/support/providers/smtp.ts it parses nothing else (no mailparser): the
// header is looked for in the first bytes, so the sink stays cheap at thousands of messages a
// second. The parent (IPC) asks for the records with `{ take: true }`, as with bench/events-sink.ts.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { now } from './clock.ts';

export interface SmtpSinkRecord {
  key: string;
  receivedAt: number;
  stampedAt: null;
  webhookId: null;
}

const HEADER = /^x-bul-notification-id:[ \t]*([0-9a-f-]{36})/im;
let records: SmtpSinkRecord[] = [];
let unreadable = 0;
let bytes = 0;
let messages = 0;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  // Pooled client connections stay open: the process ends them when the parent goes.
  closeTimeout: 50,
  onData(stream, _session, cb) {
    let head = '';
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Headers come first; 8 KiB holds them.
      if (head.length < 8192) head += chunk.toString('latin1', 0, Math.min(chunk.length, 8192));
    });
    stream.on('end', () => {
      const receivedAt = now();
      bytes += size;
      messages++;
      const m = HEADER.exec(head);
      if (m) records.push({ key: m[1]!, receivedAt, stampedAt: null, webhookId: null });
      else unreadable++;
      cb(null, 'OK: queued');
    });
  },
});
server.on('error', () => {});
server.listen(0, '127.0.0.1', () => {
  process.send!({ port: (server.server.address() as AddressInfo).port });
});
process.on('message', (m: { take?: boolean }) => {
  if (m.take) {
    process.send!({ records, unreadable, bytes, messages });
    records = [];
    unreadable = 0;
    bytes = 0;
    messages = 0;
  }
});
process.on('disconnect', () => process.exit(0));
