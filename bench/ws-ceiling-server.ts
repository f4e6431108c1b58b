// The ceiling of the WebSocket broadcast measurement (bench/events.ts): a bare `ws` server, no
// BUL, no authentication, no database. Two of these run, as two BUL API processes do; a
// `POST /broadcast` sends its body, as is, to every connection of the process (what a hub does
// with an event once it has it). Prints one JSON line with its port, then serves until SIGTERM.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/broadcast') {
    res.writeHead(404);
    res.end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    for (const ws of wss.clients) ws.send(text);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ sent: wss.clients.size }));
  });
});
const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false });
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => {
  for (const ws of wss.clients) ws.terminate();
  server.close(() => process.exit(0));
});
