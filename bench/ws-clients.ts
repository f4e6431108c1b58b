// WebSocket clients of the events benchmark (bench/events.ts), forked so that 10,000 connections
// are spread over processes and the client side is not what is measured. Driven over IPC:
//   { open: { group, targets: [{ url, headers, count }], concurrency } }
//       opens the connections (at most `concurrency` handshakes at once), answers
//       { opened, failed, failures: { reason: count }, ms };
//   { arm: { group, key } }
//       from now on, each connection of the group records when it first receives a message whose
//       `payload.id` is `key`; answers { armed: true };
//   { collect: { group, timeoutMs } }
//       answers once every connection of the group has it, or at the timeout,
//       { times: [wall-clock ms], missing, bytes (the frame's size) };
//   { stats: true }  answers { open, closes: { code: count }, errors, messages } per group;
//   { close: { group } }  closes the group's connections, answers { closed }.
// Times are wall-clock milliseconds with sub-millisecond precision (clock.ts), comparable across the processes of one machine.
import WebSocket from 'ws';
import { now } from './clock.ts';

interface Conn {
  ws: WebSocket;
  /** When it received the awaited message, or 0. */
  got: number;
}

interface Group {
  conns: Conn[];
  key: string | null;
  /** The key as bytes: frames are searched as they arrive, not decoded. */
  keyBytes: Buffer | null;
  received: number;
  bytes: number;
  closes: Record<string, number>;
  errors: number;
  messages: number;
  onAll: (() => void) | null;
}

const groups = new Map<string, Group>();
function groupOf(name: string): Group {
  let g = groups.get(name);
  if (!g) {
    g = {
      conns: [],
      key: null,
      keyBytes: null,
      received: 0,
      bytes: 0,
      closes: {},
      errors: 0,
      messages: 0,
      onAll: null,
    };
    groups.set(name, g);
  }
  return g;
}

function connect(g: Group, url: string, headers: Record<string, string>): Promise<string | null> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false, handshakeTimeout: 30_000 });
    const conn: Conn = { ws, got: 0 };
    let settled = false;
    ws.on('open', () => {
      settled = true;
      g.conns.push(conn);
      resolve(null);
    });
    ws.on('unexpected-response', (_req, res) => {
      settled = true;
      resolve(`HTTP ${res.statusCode}`);
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => {
      g.errors++;
      if (!settled) {
        settled = true;
        resolve((err as NodeJS.ErrnoException).code ?? err.message);
      }
    });
    ws.on('close', (code) => {
      if (settled && g.conns.includes(conn)) g.closes[code] = (g.closes[code] ?? 0) + 1;
    });
    ws.on('message', (data: Buffer) => {
      g.messages++;
      if (g.keyBytes === null || conn.got) return;
      const at = now();
      // The key is a fresh UUID: a frame that holds it is the awaited one; no need to parse it.
      if (data.indexOf(g.keyBytes) === -1) return;
      conn.got = at;
      g.bytes = data.length;
      g.received++;
      if (g.received === g.conns.length) g.onAll?.();
    });
  });
}

async function open(o: {
  group: string;
  targets: { url: string; headers: Record<string, string>; count: number }[];
  concurrency: number;
}) {
  const g = groupOf(o.group);
  const started = now();
  const queue = o.targets.flatMap((t) => Array.from({ length: t.count }, () => t));
  const failures: Record<string, number> = {};
  let opened = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      for (let t = queue.shift(); t; t = queue.shift()) {
        const failure = await connect(g, t.url, t.headers);
        if (failure === null) opened++;
        else {
          failed++;
          failures[failure] = (failures[failure] ?? 0) + 1;
        }
      }
    }),
  );
  return { opened, failed, failures, ms: Math.round(now() - started) };
}

function arm(o: { group: string; key: string }) {
  const g = groupOf(o.group);
  for (const c of g.conns) c.got = 0;
  g.received = 0;
  g.key = o.key;
  g.keyBytes = Buffer.from(o.key);
  return { armed: true };
}

function collect(o: { group: string; timeoutMs: number }) {
  const g = groupOf(o.group);
  return new Promise<{ times: number[]; missing: number; bytes: number }>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      g.onAll = null;
      g.key = null;
      g.keyBytes = null;
      const times = g.conns.filter((c) => c.got).map((c) => c.got);
      resolve({ times, missing: g.conns.length - times.length, bytes: g.bytes });
    };
    const timer = setTimeout(done, o.timeoutMs);
    g.onAll = done;
    if (g.received === g.conns.length) done();
  });
}

process.on('message', async (m: Record<string, never>) => {
  const reply = (x: unknown) => process.send!(x);
  if (m.open) reply(await open(m.open));
  else if (m.arm) reply(arm(m.arm));
  else if (m.collect) reply(await collect(m.collect));
  else if (m.stats)
    reply(
      Object.fromEntries(
        [...groups].map(([name, g]) => [
          name,
          {
            open: g.conns.filter((c) => c.ws.readyState === WebSocket.OPEN).length,
            closes: g.closes,
            errors: g.errors,
            messages: g.messages,
          },
        ]),
      ),
    );
  else if (m.close) {
    const g = groupOf((m.close as { group: string }).group);
    const closing = g.conns.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.ws.readyState === WebSocket.CLOSED) return resolve();
          c.ws.once('close', () => resolve());
          c.ws.close(1000);
          setTimeout(() => {
            c.ws.terminate();
            resolve();
          }, 5000).unref();
        }),
    );
    await Promise.all(closing);
    const closed = g.conns.length;
    groups.delete((m.close as { group: string }).group);
    reply({ closed });
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
