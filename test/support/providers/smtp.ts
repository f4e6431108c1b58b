// A local SMTP server for tests (smtp-server on a free port) that reads every accepted message with
// mailparser and answers as the test scripts it: 451 for the first N messages, 550 for given
// mailboxes, AUTH required with one user/password, implicit TLS with smtp-server's own self-signed
// certificate. Refusals carry a responseCode, as a real relay's replies do.
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SmtpPeerOptions {
  /** Answer 451 to the DATA of this many messages before accepting. */
  tempFailFirst?: number;
  /** RCPT TO of these addresses gets 550 (mailbox unavailable). */
  unknownMailboxes?: string[];
  /** MAIL FROM of these addresses gets 553 (sender not allowed). */
  refusedSenders?: string[];
  /** Require AUTH PLAIN/LOGIN with exactly these credentials (535 otherwise). */
  auth?: { user: string; password: string };
  /** Implicit TLS with smtp-server's built-in self-signed certificate. */
  secure?: boolean;
  /** Wait this long before answering each DATA: a slow relay (delivery lanes under load). */
  delayMs?: number;
  /** Only messages to these addresses wait `delayMs` (a slow destination); others go at once. */
  slowRecipients?: string[];
}

export interface ReceivedMail {
  envelopeTo: string[];
  raw: string;
  parsed: ParsedMail;
}

export interface SmtpPeer {
  port: number;
  received: ReceivedMail[];
  /** DATA commands answered 451 so far. */
  tempFailed: number;
  /** Answer 451 to the DATA of the next `n` messages (on top of tempFailFirst). */
  failNext(n: number): void;
  close(): Promise<void>;
}

const refusal = (responseCode: number, text: string) => Object.assign(new Error(text), { responseCode });

export async function startSmtpPeer(o: SmtpPeerOptions = {}): Promise<SmtpPeer> {
  let queueCounter = 0;
  let failBudget = o.tempFailFirst ?? 0;
  const peer: SmtpPeer = {
    port: 0,
    received: [],
    tempFailed: 0,
    failNext: (n) => {
      failBudget += n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const unknown = new Set((o.unknownMailboxes ?? []).map((a) => a.toLowerCase()));
  const refusedSenders = new Set((o.refusedSenders ?? []).map((a) => a.toLowerCase()));
  const server = new SMTPServer({
    secure: o.secure ?? false,
    authOptional: !o.auth,
    allowInsecureAuth: true,
    disabledCommands: o.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    logger: false,
    // Pooled client connections stay open: close() ends them instead of waiting for the client.
    closeTimeout: 50,
    onAuth(auth, _session, cb) {
      if (o.auth && auth.username === o.auth.user && auth.password === o.auth.password)
        return cb(null, { user: auth.username });
      cb(refusal(535, 'Authentication credentials invalid'));
    },
    onMailFrom(address, _session, cb) {
      if (refusedSenders.has(address.address.toLowerCase()))
        return cb(refusal(553, 'Sender address rejected'));
      cb();
    },
    onRcptTo(address, _session, cb) {
      if (unknown.has(address.address.toLowerCase())) return cb(refusal(550, 'Mailbox unavailable'));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        const slow =
          !o.slowRecipients ||
          session.envelope.rcptTo.some((r) => o.slowRecipients!.includes(r.address.toLowerCase()));
        if (o.delayMs && slow) await new Promise((resolve) => setTimeout(resolve, o.delayMs));
        if (failBudget > 0) {
          failBudget -= 1;
          peer.tempFailed += 1;
          return cb(refusal(451, 'Try again later'));
        }
        const raw = Buffer.concat(chunks);
        const parsed = await simpleParser(raw);
        peer.received.push({
          envelopeTo: session.envelope.rcptTo.map((r) => r.address),
          raw: raw.toString('utf8'),
          parsed,
        });
        queueCounter += 1;
        cb(null, `Ok: queued as Q${String(queueCounter).padStart(6, '0')}`);
      });
    },
  });
  server.on('error', () => {}); // a client dropping mid-session is the test's business, not a crash
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  // smtp-server's types do not expose the net.Server it wraps.
  peer.port = (
    (server as unknown as { server: { address(): AddressInfo } }).server.address() as AddressInfo
  ).port;
  return peer;
}
