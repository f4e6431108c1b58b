// One HTTP load measurement with autocannon, as every suite takes it: requests per second,
// latency p50/p99, failures. `seconds` defaults to BENCH_SECONDS (10).
import autocannon from 'autocannon';

export interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  requests: number;
}

export const DURATION = Number(process.env.BENCH_SECONDS ?? 10);

export async function load(o: {
  url: string;
  connections: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  seconds?: number;
}): Promise<Load> {
  const r = await autocannon({
    url: o.url,
    connections: o.connections,
    duration: o.seconds ?? DURATION,
    method: o.method ?? 'GET',
    headers: o.headers,
    body: o.body,
  });
  return {
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    requests: r.requests.total,
  };
}
