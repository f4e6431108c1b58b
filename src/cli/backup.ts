// `bul backup run|list|verify|restore`: backups from the command line, in-process on the owner
// connection (no worker needed, so it also serves a machine being recovered). Exit codes: 0 ok,
// 1 failure (the message names it: the part and offset of a corrupt backup), 2 usage.
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import type { Config } from '../config.ts';
import { loadConfig } from '../config.ts';
import { errorOf } from '../modules/backups/runner.ts';
import { BACKUP_TYPES } from '../modules/backups/schemas.ts';
import type { BackupServices } from '../modules/backups/service.ts';
import * as store from '../modules/backups/store.ts';
import { readManifestUnverified } from '../platform/backup/manifest.ts';
import type { RestoreReport, RestoreScope } from '../platform/backup/restore.ts';
import type { BackupProgress } from '../platform/backup/write-backup.ts';
import { createAppPool } from '../platform/db/database.ts';
import { isUuid, newId } from '../platform/db/ids.ts';
import { configuredLogger } from '../platform/observability/logger.ts';
import { prepareDatabase, redisClient } from '../runtime.ts';
import { composeBul } from '../services.ts';

const USAGE = `usage: bul backup <command>

  run [--type full|incremental|differential|critical]   take a backup now (default full)
  list [--json]                                          backups, newest first (also those only on the target)
  verify ID                                              read every part, restore into a scratch database, compare
  restore ID [--tables a,b | --org ID] [--dry-run] [--yes]
                                                         restore (after a safety backup); --dry-run changes nothing

Exit codes: 0 ok, 1 failure (named), 2 usage. See docs/backups.md.`;

function usage(message: string): number {
  process.stderr.write(`bul backup: ${message}\n${USAGE}\n`);
  return 2;
}

const out = (s: string) => process.stdout.write(`${s}\n`);
const mb = (n: number | null) => (n === null ? '-' : `${(n / 1048576).toFixed(1)} MB`);

async function withServices<T>(config: Config, fn: (b: BackupServices) => Promise<T>): Promise<T> {
  const log = configuredLogger(config, config.logLevel === 'info' ? 'warn' : config.logLevel);
  const { location, masterKey } = await prepareDatabase(config, log, { adopt: true });
  const pool = createAppPool(location.appUrl, 4, (err) =>
    log.error({ err }, 'idle database connection failed'),
  );
  // The servers' Redis when they have one: a restore's cache invalidation must reach the store
  // (or the channel) they read. Unreachable, the command goes on (a machine being recovered) and
  // the invalidation's failure is logged.
  const redis = await redisClient(config);
  if (redis) {
    redis.on('error', (err) => log.warn({ err }, 'redis connection problem'));
    await redis
      .connect()
      .catch((err: Error) => log.warn({ err }, 'cannot reach REDIS_URL; a restore cannot clear the cache'));
  }
  try {
    const { services } = await composeBul({
      config: { ...config, rateLimitStore: 'memory' },
      pool,
      masterKey,
      redis,
      log,
      ownerUrl: location.ownerUrl,
    });
    return await fn(services.backups);
  } finally {
    await pool.end();
    if (redis) await redis.quit().catch(() => redis.disconnect());
    await location.close();
  }
}

/** A progress bar on a terminal; one line per phase otherwise (logs, CI). */
function progressReporter(): { onProgress: (p: BackupProgress) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      format: 'backup [{bar}] {percentage}% | {value}/{total} tables | {rows} rows | {mb} MB | ETA {eta_s}s',
      stream: process.stderr,
    });
    let started = false;
    return {
      onProgress: (p) => {
        const payload = {
          rows: p.rows,
          mb: (p.storedBytes / 1048576).toFixed(1),
          eta_s: p.etaSeconds ?? '?',
        };
        if (!started) {
          bar.start(Math.max(1, p.tablesTotal), p.tablesDone, payload);
          started = true;
        }
        bar.setTotal(Math.max(1, p.tablesTotal));
        bar.update(p.tablesDone, payload);
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let phase = '';
  return {
    onProgress: (p) => {
      if (p.phase === phase) return;
      phase = p.phase;
      process.stderr.write(`backup: ${p.phase} (${p.tablesDone}/${p.tablesTotal} tables, ${p.rows} rows)\n`);
    },
    stop: () => {},
  };
}

async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { type: { type: 'string' } }, strict: true });
  const type = values.type ?? 'full';
  if (!(BACKUP_TYPES as readonly string[]).includes(type))
    return usage(`--type must be one of ${BACKUP_TYPES.join(', ')}, not "${type}"`);
  return withServices(loadConfig(), async (b) => {
    const id = newId();
    await store.insertRun(b.runner.pool, { id, type, trigger: 'cli', requestedBy: null });
    const progress = progressReporter();
    try {
      const m = await b.runner.runBackup(id, { attempt: 1, final: true, onProgress: progress.onProgress });
      progress.stop();
      out(
        `backup ${id} (${type}) succeeded: ${m?.totals.rows ?? 0} rows, ${mb(m?.totals.storedBytes ?? 0)} stored, ${m?.durationMs ?? 0} ms`,
      );
      return 0;
    } catch (err) {
      progress.stop();
      const e = errorOf(err);
      process.stderr.write(`bul backup run: backup ${id} failed (${e.code}): ${e.message}\n`);
      return 1;
    }
  });
}

async function list(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true });
  return withServices(loadConfig(), async (b) => {
    const page = await b.runs.list({ limit: 200 });
    const known = new Set(page.items.map((r) => r.id));
    // Backups on the target the database does not know (a machine being recovered).
    const env = b.env();
    const onTarget: { id: string; type: string; createdAt: string; storedBytes: number; source: 'target' }[] =
      [];
    for (const id of await env.primary.list().catch(() => [] as string[])) {
      if (known.has(id)) continue;
      try {
        const chunks: Buffer[] = [];
        for await (const c of await env.primary.get(`${id}/manifest.json`)) chunks.push(c as Buffer);
        const m = readManifestUnverified(Buffer.concat(chunks));
        onTarget.push({
          id,
          type: m.type,
          createdAt: m.createdAt,
          storedBytes: m.totals.storedBytes,
          source: 'target',
        });
      } catch {
        // an incomplete backup (no manifest): not listed
      }
    }
    if (values.json) {
      out(JSON.stringify({ items: page.items, onTargetOnly: onTarget }, null, 2));
      return 0;
    }
    if (page.items.length === 0 && onTarget.length === 0) out('no backups yet');
    for (const r of page.items)
      out(
        `${r.id}  ${r.type.padEnd(12)} ${r.status.padEnd(9)} ${r.createdAt}  ${mb(r.storedBytes).padStart(10)}  verify ${r.verify?.status ?? '-'}${r.error ? `  ${r.error.code}: ${r.error.message}` : ''}`,
      );
    for (const r of onTarget)
      out(
        `${r.id}  ${r.type.padEnd(12)} on target ${r.createdAt}  ${mb(r.storedBytes).padStart(10)}  (not in this database)`,
      );
    return 0;
  });
}

async function verify(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, strict: true, allowPositionals: true });
  const id = positionals[0];
  if (!id || positionals.length > 1 || !isUuid(id)) return usage('verify needs one backup id');
  return withServices(loadConfig(), async (b) => {
    const { ok, detail } = await b.runner.verify(id, null);
    const d = detail as {
      problem?: string;
      files?: {
        backupId: string;
        parts: number | { name: string; ok: boolean; error?: string; offset?: number }[];
      }[];
      restore?: { rows: number; durationMs: number };
    };
    if (ok) {
      out(
        `backup ${id}: every part intact; restored ${d.restore?.rows ?? 0} rows into a scratch database in ${d.restore?.durationMs ?? 0} ms, checksums match`,
      );
      return 0;
    }
    for (const f of d.files ?? [])
      if (Array.isArray(f.parts))
        for (const p of f.parts)
          if (!p.ok)
            process.stderr.write(
              `FAIL ${f.backupId} part ${p.name}: ${p.error ?? 'failed'}${p.offset !== undefined ? ` (offset ${p.offset})` : ''}\n`,
            );
    process.stderr.write(
      `bul backup verify: backup ${id} failed verification: ${d.problem ?? 'unknown problem'}\n`,
    );
    return 1;
  });
}

function printReport(r: RestoreReport): void {
  out(`${r.dryRun ? 'dry run: would change' : 'restored'} (chain ${r.chain.join(' → ')}):`);
  for (const t of r.tables)
    if (t.added + t.changed + t.removed > 0)
      out(`  ${t.table.padEnd(32)} +${t.added} ~${t.changed} -${t.removed} (=${t.unchanged})`);
  if (r.tables.every((t) => t.added + t.changed + t.removed === 0)) out('  nothing differs');
}

async function restore(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      tables: { type: 'string' },
      org: { type: 'string' },
      'dry-run': { type: 'boolean' },
      yes: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: true,
  });
  const id = positionals[0];
  if (!id || positionals.length > 1 || !isUuid(id)) return usage('restore needs one backup id');
  if (values.tables !== undefined && values.org !== undefined)
    return usage('--tables and --org exclude each other');
  if (values.org !== undefined && !isUuid(values.org))
    return usage('--org must be an organization id (UUID)');
  const tables = values.tables
    ?.split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (values.tables !== undefined && (!tables || tables.length === 0))
    return usage('--tables needs table names');
  const scope: RestoreScope = values.org
    ? { kind: 'organization', orgId: values.org }
    : tables
      ? { kind: 'tables', tables }
      : { kind: 'all' };
  const dryRun = values['dry-run'] === true;
  if (!dryRun && !values.yes && !process.stdin.isTTY)
    return usage('a restore changes the database: confirm with --yes (or try --dry-run first)');
  return withServices(loadConfig(), async (b) => {
    try {
      const report = await b.runner.restore(id, scope, { dryRun: true });
      printReport(report);
      if (dryRun) return 0;
      if (!values.yes) {
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question('apply this restore (a full safety backup is taken first)? [y/N] ');
        rl.close();
        if (!/^y(es)?$/i.test(answer.trim())) {
          out('nothing changed');
          return 1;
        }
      }
      const active = await store.activeRestore(b.runner.pool);
      if (active) {
        process.stderr.write(
          `bul backup restore: restore ${active.id} is ${active.status}; one restore at a time\n`,
        );
        return 1;
      }
      const restoreId = newId();
      await store.insertRestore(b.runner.pool, {
        id: restoreId,
        kind: 'restore',
        backupId: id,
        scope,
        orgId: scope.kind === 'organization' ? scope.orgId : null,
        dryRun: false,
        requestedBy: null,
      });
      await b.runner.runRestore(restoreId);
      const row = await store.getRestore(b.runner.pool, restoreId);
      printReport(row?.report as RestoreReport);
      out(`restore ${restoreId} done; safety backup ${row?.safety_backup_id ?? '-'}`);
      return 0;
    } catch (err) {
      const e = errorOf(err);
      process.stderr.write(
        `bul backup restore: ${e.code}: ${e.message}${e.part ? ` (part ${e.part}${e.offset !== undefined ? `, offset ${e.offset}` : ''})` : ''}\n`,
      );
      return 1;
    }
  });
}

export async function backupCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'run':
        return await run(rest);
      case 'list':
        return await list(rest);
      case 'verify':
        return await verify(rest);
      case 'restore':
        return await restore(rest);
      case '--help':
      case '-h':
      case 'help':
        out(USAGE);
        return 0;
      default:
        return usage(sub ? `unknown command "${sub}"` : 'a command is needed');
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' ||
      code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
    )
      return usage((err as Error).message);
    throw err;
  }
}
