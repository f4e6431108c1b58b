// The process the monitoring benchmark measures (bench/monitoring.ts): one BUL API process on the
// database named by its first argument, with every background loop of its role running except the
// metrics sampler and the cluster readings, which the parent turns on and off over IPC
// ({ sampler: true | false } → { ok: true }). First message: { port, pid }.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { startBackground } from '../src/platform/background.ts';
import { createAppPool } from '../src/platform/db/database.ts';
import { prepareDatabase } from '../src/runtime.ts';
import { composeBul } from '../src/services.ts';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bul-bench-monitoring-'));
const config = loadConfig({
  DATABASE_URL: process.argv[2] ?? '',
  BUL_DATA_DIR: dataDir,
  LOG_LEVEL: 'silent',
  PORT: '0',
  MONITOR_SAMPLE_SECONDS: process.env.MONITOR_SAMPLE_SECONDS ?? '5',
  RATE_LIMIT_STORE: 'memory',
  RATE_LIMIT_IP_PER_MINUTE: '100000000',
  RATE_LIMIT_USER_PER_MINUTE: '100000000',
});
const log = pino({ level: 'silent' });
const { location, masterKey } = await prepareDatabase(config, log);
const pool = createAppPool(location.appUrl, 10, () => {});
const composition = await composeBul({ config, pool, masterKey, redis: null, log });
const isSampler = (name: string) => name === 'monitoring:sampler' || name === 'monitoring:cluster';
const others = await startBackground(
  composition.loops.filter((l) => !isSampler(l.name)),
  ['api'],
  log,
);
const sampler = composition.loops.filter((l) => isSampler(l.name));
const { app } = await buildApp({ config, pool, masterKey, redis: null, logger: false, composition });
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.send?.({ port: Number(new URL(address).port), pid: process.pid });

let on = false;
process.on('message', async (msg: { sampler?: boolean; stop?: boolean }) => {
  if (msg.stop) {
    if (on) for (const l of sampler) await l.stop();
    await app.close();
    await others.stop();
    await pool.end();
    await location.close();
    rmSync(dataDir, { recursive: true, force: true });
    process.send?.({ ok: true });
    process.exit(0);
  }
  if (msg.sampler !== undefined && msg.sampler !== on) {
    for (const l of sampler) await (msg.sampler ? l.start() : l.stop());
    on = msg.sampler;
  }
  process.send?.({ ok: true });
});
