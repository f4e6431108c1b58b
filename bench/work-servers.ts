// Servers for the work-management benchmark, in a child process of bench/work.ts (so the load
// generator, and the RSS it measures, are separate from the server):
//   - BUL (src/app.ts) on the database `bul seed-demo --size large` filled, rate limits out of the way,
//     with a worker in the same process dispatching the domain events its writes commit (as
//     `bul start` runs by default: every write emits events, and their dispatch is part of the load);
//   - the ceilings: a bare node:http server whose connections act for the demo organization at
//     session level, answering each request with ONE round trip through the same driver and pool
//     size: `/list` runs the very SQL BUL's task list runs, `/insert` the INSERT BUL's create runs.
// Mode `export` (argv[2]) first adds BENCH_EXPORT_ROWS tasks to one project for the export test.
// Prints one JSON line, then waits for SIGTERM.
import pg from 'pg';
import pino from 'pino';
import { v7 } from 'uuid';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { listClients } from '../src/modules/work/client-store.ts';
import { listProjects } from '../src/modules/work/project-store.ts';
import { listTasks } from '../src/modules/work/task-store.ts';
import { startBackground } from '../src/platform/background.ts';
import { createAppPool } from '../src/platform/db/database.ts';
import type { Sql } from '../src/platform/db/transaction.ts';
import { startWorker } from '../src/platform/jobs/worker.ts';
import { prepareDatabase, startEventHandling } from '../src/runtime.ts';
import { composeBul } from '../src/services.ts';
import { ceilingServer, TASK_INSERT_SQL, taskInsertParams } from './ceilings.ts';

const POOL_SIZE = 20;
const mode = process.argv[2] === 'export' ? 'export' : 'api';
const dataDir = process.env.BUL_DATA_DIR;
const password = process.env.BENCH_DEMO_PASSWORD;
if (!dataDir || !password) throw new Error('BUL_DATA_DIR and BENCH_DEMO_PASSWORD are required');

const config = loadConfig({
  ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
  BUL_DATA_DIR: dataDir,
  // The events suite runs these servers on a database of its own, with an application role of its own.
  ...Object.fromEntries(
    ['BUL_MASTER_KEY', 'DATABASE_APP_ROLE', 'DATABASE_APP_PASSWORD']
      .filter((k) => process.env[k])
      .map((k) => [k, process.env[k]!]),
  ),
  LOG_LEVEL: 'silent',
  PORT: '0',
  DATABASE_POOL_MAX: String(POOL_SIZE),
  RATE_LIMIT_STORE: 'memory',
  RATE_LIMIT_IP_PER_MINUTE: '100000000',
  RATE_LIMIT_USER_PER_MINUTE: '100000000',
  RATE_LIMIT_LOGIN_BURST: '100000000',
  RATE_LIMIT_LOGIN_PER_SECOND: '100000000',
});
const { location, masterKey } = await prepareDatabase(config, pino({ level: 'silent' }));
const owner = new pg.Client({ connectionString: location.ownerUrl });
await owner.connect();
const { rows: orgs } = await owner.query<{ id: string }>(
  `SELECT id FROM organizations WHERE subdomain = 'demo'`,
);
const orgId = orgs[0]?.id;
if (!orgId) throw new Error('no demo organization: run `bul seed-demo --size large` first');

// Fixtures the load uses: a busy developer (list filter) and a project (create, export).
const { rows: picks } = await owner.query<{ assignee_id: string; project_id: string }>(
  `SELECT t.assignee_id, (SELECT id FROM projects WHERE org_id = $1 ORDER BY id LIMIT 1) AS project_id
   FROM tasks t WHERE t.org_id = $1 AND t.assignee_id IS NOT NULL AND t.status = 'active'
   GROUP BY t.assignee_id ORDER BY count(*) DESC LIMIT 1`,
  [orgId],
);
const assigneeId = picks[0]!.assignee_id;
let projectId = picks[0]!.project_id;

let exportRows = 0;
if (mode === 'export') {
  exportRows = Number(process.env.BENCH_EXPORT_ROWS ?? 1_000_000);
  projectId = v7();
  await owner.query(
    `INSERT INTO projects (org_id, id, name, currency) SELECT $1, $2, 'Export benchmark', currency FROM organizations WHERE id = $1`,
    [orgId, projectId],
  );
  // Set-based, in id order (UUIDv7-like ids from the row number keep the index tidy).
  await owner.query(
    `INSERT INTO tasks (org_id, id, project_id, title, description, priority, status, tags, due_date, created_at)
     SELECT $1, gen_random_uuid(), $2, 'Export row ' || g, 'Generated for the export benchmark, row ' || g,
            (ARRAY['low','medium','high','urgent'])[1 + g % 4], 'pending', ARRAY['bench'],
            date '2026-01-01' + (g % 365), now() - (g || ' seconds')::interval
     FROM generate_series(1, $3::int) g`,
    [orgId, projectId, exportRows],
  );
  await owner.query('ANALYZE tasks');
}

const pool = createAppPool(location.appUrl, POOL_SIZE, () => {});
const log = pino({ level: 'silent' });
// API and worker in one process, as `bul start` runs them: one composition shared by both.
// BENCH_WORKER=off (the events suite's reference round): the API alone, its events left queued.
const withWorker = process.env.BENCH_WORKER !== 'off';
const composition = await composeBul({ config, pool, masterKey, redis: null, log });
const background = await startBackground(composition.loops, withWorker ? ['api', 'worker'] : ['api'], log);
const { app } = await buildApp({ config, pool, masterKey, redis: null, logger: false, composition });
const worker = withWorker
  ? await startWorker({ pool, jobs: composition.jobs(), concurrency: config.workerConcurrency, log })
  : null;
// Its dispatcher hands committed events to the modules' handlers and to the realtime publisher.
const stopDispatch = withWorker
  ? await startEventHandling({ composition, pool, config, log, redis: null })
  : async () => {};
await app.listen({ host: '127.0.0.1', port: 0 });
const bulPort = (app.server.address() as { port: number }).port;
const login = await app.inject({
  method: 'POST',
  url: '/api/v1/auth/login',
  payload: { email: 'admin@demo.bul.local', password },
});
if (login.statusCode !== 200) throw new Error(`login: ${login.body}`);
const accessToken = login.json().accessToken as string;
const userId = login.json().user.id as string;

// The ceiling acts for the organization at session level, so each request is a single round trip.
const ceilingPool = new pg.Pool({
  connectionString: location.appUrl,
  max: POOL_SIZE,
  options: `-c jit=off -c app.org_id=${orgId} -c app.user_id=${userId}`,
});
/** The SQL of `GET /tasks?status=active&assigneeId=…&q=…` as src/modules/work/task-store.ts builds it. */
const LIST_SQL = `SELECT t.id, t.project_id, t.title, t.description, t.assignee_id, t.priority, t.status, t.tags,
  t.due_date, t.estimate_minutes, t.completed_at, t.created_by, t.created_at, t.updated_at, t.version,
  (t.created_at)::text AS sort_value, t.id AS list_id FROM tasks t
  WHERE t.status = $1 AND t.assignee_id = $2 AND t.search @@ websearch_to_tsquery('simple', $3)
  ORDER BY t.created_at DESC, t.id DESC LIMIT $4`;
const ceiling = ceilingServer(ceilingPool, (url) =>
  url === '/insert'
    ? { sql: TASK_INSERT_SQL, params: taskInsertParams({ orgId, projectId, userId }) }
    : { sql: LIST_SQL, params: ['active', assigneeId, process.env.BENCH_LIST_WORD ?? 'invoice', 51] },
);
await new Promise<void>((resolve) => ceiling.listen(0, '127.0.0.1', resolve));
const ceilingPort = (ceiling.address() as { port: number }).port;

/**
 * EXPLAIN ANALYZE of the list queries BUL builds, run as the application role acting for the demo
 * organization (row-level security on): which scans and indexes each uses on the large data.
 */
async function explainLists() {
  const c = new pg.Client({ connectionString: location.appUrl, options: '-c jit=off' });
  await c.connect();
  const out: { list: string; ms: number; scans: string[] }[] = [];
  const explain = async (list: string, run: (sql: Sql) => Promise<unknown>) => {
    await c.query('BEGIN');
    await c.query("SELECT set_config('app.org_id', $1, true), set_config('app.user_id', $2, true)", [
      orgId,
      userId,
    ]);
    let plan: { Plan: PlanNode; 'Execution Time': number } | undefined;
    const explaining = {
      query: async (text: string, values: unknown[]) => {
        const r = await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, values);
        plan = r.rows[0]['QUERY PLAN'][0];
        return { rows: [], rowCount: 0 };
      },
    } as unknown as Sql;
    await run(explaining);
    await c.query('ROLLBACK');
    const scans: string[] = [];
    const walk = (n: PlanNode) => {
      if (n['Relation Name'] || n['Index Name']) {
        scans.push(
          `${n['Node Type']}${n['Index Name'] ? ` using ${n['Index Name']}` : ''} on ${n['Relation Name'] ?? '?'}`,
        );
      }
      for (const child of n.Plans ?? []) walk(child);
    };
    if (plan) walk(plan.Plan);
    out.push({ list, ms: plan ? +plan['Execution Time'].toFixed(2) : -1, scans });
  };
  const word = process.env.BENCH_LIST_WORD ?? 'invoice';
  await explain(`tasks?status=active&assigneeId&q=${word}`, (sql) =>
    listTasks(sql, { status: 'active', assigneeId, q: word }),
  );
  await explain('tasks?projectId&status=pending', (sql) => listTasks(sql, { projectId, status: 'pending' }));
  await explain('tasks?assigneeId&sort=dueDate', (sql) => listTasks(sql, { assigneeId, sort: 'dueDate' }));
  await explain('tasks?priority=urgent&dueBefore', (sql) =>
    listTasks(sql, { priority: 'urgent', dueBefore: '2026-01-01' }),
  );
  await explain('tasks?q=(a rare word)', (sql) => listTasks(sql, { q: 'zyxwvut' }));
  await explain('tasks?tag=(a rare tag)', (sql) => listTasks(sql, { tag: 'zyxwvut' }));
  await explain('tasks (default: newest first)', (sql) => listTasks(sql, {}));
  await explain('projects?status=active&sort=name', (sql) =>
    listProjects(sql, { status: 'active', sort: 'name' }),
  );
  await explain('clients?q=(a rare word)', (sql) => listClients(sql, { q: 'zyxwvut' }));
  await c.end();
  return out;
}
interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}
const plans = mode === 'api' ? await explainLists() : [];

process.stdout.write(
  `${JSON.stringify({
    plans,
    bulPort,
    ceilingPort,
    accessToken,
    orgId,
    projectId,
    assigneeId,
    exportRows,
    postgres: config.databaseUrl ? 'external' : 'embedded',
  })}\n`,
);

process.on('SIGTERM', async () => {
  ceiling.close();
  await app.close();
  await stopDispatch();
  await worker?.stop();
  await background.stop();
  await pool.end();
  await ceilingPool.end();
  if (mode === 'export' && config.databaseUrl) {
    // An external database outlives the run: take the million rows back out.
    await owner
      .query('DELETE FROM projects WHERE org_id = $1 AND id = $2', [orgId, projectId])
      .catch(() => {});
  }
  await owner.end();
  await location.close();
  process.exit(0);
});
