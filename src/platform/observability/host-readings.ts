// Readings of the host and of this process, for the metrics sampler: CPU (total and per core) and
// network from the kernel's counters (differences between two readings), memory and swap from
// /proc/meminfo, space of the data volume from statfs and its I/O from the block device's
// counters in /sys, event-loop delay, process CPU and memory. Linux first; elsewhere what node:os
// offers, and a reading that has no source fails (the sampler logs it and goes on). The first
// reading of a rate only sets its baseline.

import { readFile, stat, statfs } from 'node:fs/promises';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface HostValue {
  metric: string;
  value: number;
  labels?: Record<string, string>;
}

/** One named reading; it may throw (the sampler skips it and logs why). */
export interface HostReading {
  name: string;
  read(): Promise<HostValue[]> | HostValue[];
}

interface CpuTimes {
  busy: number;
  total: number;
}

function cpuTimes(): CpuTimes[] {
  return os.cpus().map(({ times: t }) => {
    const busy = t.user + t.nice + t.sys + t.irq;
    return { busy, total: busy + t.idle };
  });
}

const percentOf = (part: number, whole: number) => (whole > 0 ? Math.min(100, (100 * part) / whole) : 0);

/** Fields of /proc/meminfo in bytes. */
async function meminfo(): Promise<Map<string, number>> {
  const text = await readFile('/proc/meminfo', 'utf8');
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+)(?:\s+kB)?/.exec(line);
    if (m) out.set(m[1] as string, Number(m[2]) * (line.includes('kB') ? 1024 : 1));
  }
  return out;
}

/** A counter's rate per second since the previous call (null on the first). */
class Rate {
  private last: { at: number; value: number } | null = null;
  private readonly clock: () => number;
  constructor(clock: () => number) {
    this.clock = clock;
  }
  next(value: number): number | null {
    const at = this.clock();
    const prev = this.last;
    this.last = { at, value };
    if (!prev || at <= prev.at || value < prev.value) return null;
    return (value - prev.value) / ((at - prev.at) / 1000);
  }
}

/** The block device (major:minor) of the filesystem `dir` is on. */
async function blockDeviceOf(dir: string): Promise<string> {
  const { dev } = await stat(dir, { bigint: true });
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  if (major === 0n) throw new Error(`${dir} is on a filesystem without a block device (overlay, tmpfs)`);
  return `${major}:${minor}`;
}

/** The readings, and `close` to stop watching the event loop. */
export function hostReadings(opts: { dataDir: string; clock?: () => number }): {
  readings: HostReading[];
  close(): void;
} {
  const clock = opts.clock ?? Date.now;
  let cpuBefore = cpuTimes();
  let processCpuBefore = { usage: process.cpuUsage(), at: clock() };
  const diskRead = new Rate(clock);
  const diskWrite = new Rate(clock);
  const rx = new Rate(clock);
  const tx = new Rate(clock);
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  let device: Promise<string> | null = null;

  const readings: HostReading[] = [
    {
      name: 'cpu',
      read() {
        const now = cpuTimes();
        const before = cpuBefore;
        cpuBefore = now;
        let busy = 0;
        let total = 0;
        const out: HostValue[] = [];
        now.forEach((c, i) => {
          const b = before[i];
          if (!b) return;
          busy += c.busy - b.busy;
          total += c.total - b.total;
          out.push({
            metric: 'system.cpu.core.percent',
            labels: { core: String(i) },
            value: percentOf(c.busy - b.busy, c.total - b.total),
          });
        });
        if (total > 0) out.push({ metric: 'system.cpu.percent', value: percentOf(busy, total) });
        return total > 0 ? out : [];
      },
    },
    {
      name: 'memory',
      async read() {
        let total = os.totalmem();
        let available = os.freemem();
        let swap: HostValue[] = [];
        if (process.platform === 'linux') {
          const m = await meminfo();
          total = m.get('MemTotal') ?? total;
          available = m.get('MemAvailable') ?? available;
          const swapTotal = m.get('SwapTotal') ?? 0;
          const swapFree = m.get('SwapFree') ?? 0;
          swap = [{ metric: 'system.swap.percent', value: percentOf(swapTotal - swapFree, swapTotal) }];
        }
        return [
          { metric: 'system.memory.percent', value: percentOf(total - available, total) },
          { metric: 'system.memory.used_bytes', value: total - available },
          ...swap,
        ];
      },
    },
    {
      name: 'disk space',
      async read() {
        const s = await statfs(opts.dataDir);
        const used = (s.blocks - s.bfree) * s.bsize;
        const free = s.bavail * s.bsize;
        // As df counts: used of what an unprivileged user can have (the reserved blocks left out).
        return [
          { metric: 'system.disk.percent', value: percentOf(used, used + free) },
          { metric: 'system.disk.free_bytes', value: free },
        ];
      },
    },
    {
      name: 'disk I/O',
      async read() {
        device ??= blockDeviceOf(opts.dataDir);
        const dev = await device.catch((err) => {
          device = null;
          throw err;
        });
        const fields = (await readFile(`/sys/dev/block/${dev}/stat`, 'utf8')).trim().split(/\s+/).map(Number);
        // Fields 3 and 7: sectors read and written, of 512 bytes whatever the device's own size.
        const read = diskRead.next((fields[2] ?? 0) * 512);
        const written = diskWrite.next((fields[6] ?? 0) * 512);
        if (read === null || written === null) return [];
        return [
          { metric: 'system.disk.read_bytes_per_s', value: read },
          { metric: 'system.disk.write_bytes_per_s', value: written },
        ];
      },
    },
    {
      name: 'network',
      async read() {
        const text = await readFile('/proc/net/dev', 'utf8');
        let rxBytes = 0;
        let txBytes = 0;
        for (const line of text.split('\n').slice(2)) {
          const [name, rest] = line.split(':');
          if (!rest || name?.trim() === 'lo') continue;
          const f = rest.trim().split(/\s+/).map(Number);
          rxBytes += f[0] ?? 0;
          txBytes += f[8] ?? 0;
        }
        const rxRate = rx.next(rxBytes);
        const txRate = tx.next(txBytes);
        if (rxRate === null || txRate === null) return [];
        return [
          { metric: 'system.network.rx_bytes_per_s', value: rxRate },
          { metric: 'system.network.tx_bytes_per_s', value: txRate },
        ];
      },
    },
    {
      name: 'process',
      read() {
        const at = clock();
        const usage = process.cpuUsage();
        const before = processCpuBefore;
        processCpuBefore = { usage, at };
        const cpuMicros = usage.user - before.usage.user + (usage.system - before.usage.system);
        const elapsedMicros = (at - before.at) * 1000;
        const lag = loop.count > 0 ? loop.percentile(99) / 1e6 : 0;
        loop.reset();
        const out: HostValue[] = [
          { metric: 'process.memory.rss_bytes', value: process.memoryUsage.rss() },
          { metric: 'process.event_loop_lag_ms', value: lag },
        ];
        if (elapsedMicros > 0)
          out.push({ metric: 'process.cpu.percent', value: (100 * cpuMicros) / elapsedMicros });
        return out;
      },
    },
  ];
  return { readings, close: () => loop.disable() };
}
