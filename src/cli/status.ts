// `bul status`: ask a running instance (default: this configuration's PUBLIC_URL) whether it is ready.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';

export async function statusCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { url: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const base = (values.url ?? loadConfig().publicUrl).replace(/\/$/, '');
  let res: Response;
  try {
    res = await fetch(`${base}/ready`, { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    process.stderr.write(
      `BUL at ${base} is not reachable: ${(err as Error).cause ?? (err as Error).message}\n`,
    );
    return 3;
  }
  const body = (await res.json().catch(() => null)) as {
    status: string;
    version: string;
    role: string;
    startedAt: string;
    checks: { name: string; ok: boolean; detail?: string; ms: number }[];
  } | null;
  if (!body) {
    process.stderr.write(`BUL at ${base} answered ${res.status} without a readiness report\n`);
    return 1;
  }
  if (values.json) process.stdout.write(`${JSON.stringify(body)}\n`);
  else {
    process.stdout.write(
      `BUL ${body.version} at ${base}: ${body.status} (role ${body.role}, up since ${body.startedAt})\n`,
    );
    for (const c of body.checks)
      process.stdout.write(
        `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.detail ? `: ${c.detail}` : ''} (${c.ms} ms)\n`,
      );
  }
  return body.status === 'ready' ? 0 : 1;
}
