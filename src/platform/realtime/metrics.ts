// /metrics for realtime: this process's open /ws connections, the events they were sent, the
// reloads asked for, the connections the server closed (by close code) and the bus messages it
// ignored. Read from the hub's counters when Prometheus scrapes, nothing on the delivery path.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { RealtimeHub } from './hub.ts';

/** A counter that follows a running total kept elsewhere. */
function follow(
  counter: Counter<string>,
  total: number,
  seen: { n: number },
  labels?: Record<string, string>,
) {
  if (total > seen.n) {
    if (labels) counter.inc(labels, total - seen.n);
    else counter.inc(total - seen.n);
    seen.n = total;
  }
}

export function registerRealtimeMetrics(registry: Registry, hub: RealtimeHub): void {
  new Gauge({
    name: 'bul_websocket_connections',
    help: 'Open /ws connections of this process.',
    registers: [registry],
    collect() {
      this.set(hub.connectionCount);
    },
  });
  const sent = { n: 0 };
  new Counter({
    name: 'bul_websocket_events_sent_total',
    help: 'Domain events sent to /ws clients by this process.',
    registers: [registry],
    collect() {
      follow(this, hub.stats.eventsSent, sent);
    },
  });
  const reloads = { n: 0 };
  new Counter({
    name: 'bul_websocket_reloads_total',
    help: '/ws clients told to reload (what they missed could not be replayed).',
    registers: [registry],
    collect() {
      follow(this, hub.stats.reloads, reloads);
    },
  });
  const closes = new Map<number, { n: number }>();
  new Counter({
    name: 'bul_websocket_closes_total',
    help: '/ws connections closed by the server, by close code (4400 not JSON, 4401 credentials, 4403 other organization, 4429 flood, 1008 slow consumer, 1001 stopping).',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      for (const [code, total] of hub.stats.closes) {
        const seen = closes.get(code) ?? { n: 0 };
        closes.set(code, seen);
        follow(this, total, seen, { code: String(code) });
      }
    },
  });
  const rejected = { n: 0 };
  new Counter({
    name: 'bul_realtime_bus_rejected_total',
    help: 'Messages on the realtime bus ignored: no valid signature, or not a message.',
    registers: [registry],
    collect() {
      follow(this, hub.stats.rejectedMessages, rejected);
    },
  });
}
