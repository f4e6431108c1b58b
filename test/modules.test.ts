// Modules define themselves (src/platform/module.ts) and every process composes them from one
// list (src/modules/index.ts): adding a module is its definition plus one line in the list, and
// brings its routes, jobs, background loops, event handlers and permissions with it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { auditModule } from '../src/modules/audit/definition.ts';
import { MODULES } from '../src/modules/index.ts';
import type { TenancyService } from '../src/modules/tenancy/service.ts';
import { workModule } from '../src/modules/work/definition.ts';
import { startBackground } from '../src/platform/background.ts';
import { composeModules } from '../src/platform/compose.ts';
import { MasterKey } from '../src/platform/crypto/master-key.ts';
import { Db } from '../src/platform/db/transaction.ts';
import { ALL_PERMISSIONS, PLATFORM_PERMISSIONS, requires } from '../src/platform/http/permissions.ts';
import { jobQueue, startWorker } from '../src/platform/jobs/worker.ts';
import { type DomainEvent, defineModule } from '../src/platform/module.ts';
import { composeBul } from '../src/services.ts';
import { TEST_MASTER_KEY } from './support/constants.ts';
import { ROOT } from './support/process.ts';
import { createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';

const silent = pino({ level: 'silent' });
const masterKey = new MasterKey(Buffer.from(TEST_MASTER_KEY, 'base64'));

let t: TestApp;
let admin: Session;

beforeAll(async () => {
  t = await createTestApp();
  admin = await signUp(t);
});
afterAll(() => t?.close());

/** A module as a new one would be written: its definition is all it takes, besides one line. */
function probeModule(seen: { jobs: unknown[]; events: string[]; loop: string[] }) {
  return defineModule({
    name: 'probe',
    needs: ['tenancy'],
    build: (_deps, { tenancy }: { tenancy: TenancyService }) => ({
      probe: { platformRules: async () => (await tenancy.ipRules.platformIpRules()).length },
    }),
    routes: async (api, { services }) => {
      api.get(
        '/probe/rules',
        {
          config: { access: requires('organization:read') },
          schema: {
            operationId: 'getProbeRules',
            response: { 200: Type.Object({ rules: Type.Integer() }) },
          },
        },
        async () => ({ rules: await services.probe.platformRules() }),
      );
    },
    jobs: ({ services }) => [
      {
        name: 'probe:count_rules',
        handler: async (payload) => {
          seen.jobs.push({ payload, rules: await services.probe.platformRules() });
        },
      },
    ],
    background: () => [
      {
        name: 'probe-loop',
        roles: ['worker'],
        start: () => void seen.loop.push('start'),
        stop: () => void seen.loop.push('stop'),
      },
    ],
    permissions: [],
    events: {
      emits: ['probe.counted'],
      handles: () => ({
        'task.created': async (event) => {
          seen.events.push(event.id);
        },
      }),
    },
  });
}

describe('a module added to the list', () => {
  it('brings its routes, jobs (run with the composed services), background loop and event handlers', async () => {
    const seen = { jobs: [] as unknown[], events: [] as string[], loop: [] as string[] };
    const composition = await composeBul({
      config: t.config,
      pool: t.pool,
      masterKey,
      redis: null,
      log: silent,
      modules: [...MODULES, probeModule(seen)],
    });
    const { app } = await buildApp({
      config: t.config,
      pool: t.pool,
      masterKey,
      redis: null,
      logger: false,
      composition,
    });
    try {
      // A global deny rule for a documentation range: the module's service reads it back (cached for 10 s, so first).
      await t.owner(
        "INSERT INTO platform_ip_rules (id, cidr, action, note) VALUES (gen_random_uuid(), '192.0.2.0/24', 'deny', 'probe')",
      );
      // Routes: under /api/v1, guarded by the pipeline, in the OpenAPI document.
      const res = await app.inject({ method: 'GET', url: '/api/v1/probe/rules', headers: admin.headers });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ rules: 1 });
      expect((await app.inject({ method: 'GET', url: '/api/v1/probe/rules' })).statusCode).toBe(401);
      const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
      expect(doc.paths['/api/v1/probe/rules'].get['x-permission']).toBe('organization:read');

      // Jobs: the worker runs every module's tasks, with the services the list built.
      const jobs = composition.jobs().map((j) => j.name);
      expect(jobs).toEqual([
        'monitoring:rollup',
        'monitoring:prune',
        'security:purge',
        'alerts:prune',
        'webhooks:deliver',
        'notifications:due-soon-scan',
        'system:cleanup_expired',
        'backups:run',
        'backups:restore',
        'backups:verify',
        'backups:drill',
        'probe:count_rules',
      ]);
      const worker = await startWorker({
        pool: t.pool,
        jobs: composition.jobs(),
        concurrency: 1,
        log: silent,
      });
      const queue = await jobQueue(t.pool);
      try {
        await queue.addJob('probe:count_rules', { hello: 'worker' });
        for (let i = 0; i < 100 && seen.jobs.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      } finally {
        await queue.release();
        await worker.stop();
      }
      expect(seen.jobs).toEqual([{ payload: { hello: 'worker' }, rules: 1 }]);

      // Background loops: each role runs its own, stopped in reverse order of starting.
      const workerLoops = await startBackground(composition.loops, ['worker']);
      expect(workerLoops.names).toEqual([
        'audit-sealer',
        'event-retention',
        'signing-keys',
        'monitoring:sampler',
        'monitoring:cluster',
        'alert-evaluation',
        'notification-delivery',
        'health-checks',
        'backup-schedule',
        'probe-loop',
      ]);
      expect(seen.loop).toEqual(['start']);
      await workerLoops.stop();
      expect(seen.loop).toEqual(['start', 'stop']);
      const apiLoops = await startBackground(composition.loops, ['api']);
      expect(apiLoops.names).toEqual([
        'rate-limit-counters',
        'cache-invalidations',
        'audit-sealer',
        'usage-meter',
        'signing-keys',
        'monitoring:sampler',
        'monitoring:cluster',
      ]);
      await apiLoops.stop();
      const both = await startBackground(composition.loops, ['api', 'worker']);
      expect(both.names).toEqual([
        'rate-limit-counters',
        'cache-invalidations',
        'audit-sealer',
        'event-retention',
        'usage-meter',
        'signing-keys',
        'monitoring:sampler',
        'monitoring:cluster',
        'alert-evaluation',
        'notification-delivery',
        'health-checks',
        'backup-schedule',
        'probe-loop',
      ]);
      await both.stop();

      // Events: the dispatcher finds the module's handler by event type.
      const handlers = composition.eventHandlers().get('task.created') ?? [];
      expect(handlers.map((h) => h.module)).toEqual(['webhooks', 'notifications', 'probe']);
      const probe = handlers.find((h) => h.module === 'probe')!;
      const event: DomainEvent = {
        id: '01930000-0000-7000-8000-000000000001',
        type: 'task.created',
        orgId: admin.orgId,
        occurredAt: new Date().toISOString(),
        actor: { type: 'user', id: admin.userId },
        payload: { id: '01930000-0000-7000-8000-000000000002' },
        seq: 1,
      };
      // As the dispatcher runs it: in a tenant transaction of the event's organization.
      await new Db(t.pool).transaction({ orgId: admin.orgId, userId: null }, (tx) =>
        probe.handle(event, { tx, orgId: admin.orgId, attempt: 1, log: silent }),
      );
      expect(seen.events).toEqual([event.id]);
    } finally {
      await app.close();
    }
  });
});

describe('the module list', () => {
  it('is in dependency order: composing a module before one it needs fails, naming what is missing', async () => {
    await expect(composeModules([workModule, auditModule], composeDeps())).rejects.toThrow(
      'module work needs audit, tenancy, not built before it',
    );
  });

  it('refuses event types that are not <resource>.<verb> and jobs not named after their module', async () => {
    const bad = defineModule({
      name: 'bad',
      needs: [],
      build: () => ({}),
      events: { handles: () => ({ TaskCreated: async () => {} }) },
    });
    await expect(composeModules([bad], composeDeps())).rejects.toThrow(
      'module bad: event type TaskCreated is not <resource>.<verb> in lower snake case',
    );
    const stray = defineModule({
      name: 'stray',
      needs: [],
      build: () => ({}),
      jobs: () => [{ name: 'system:cleanup_expired', handler: async () => {} }],
    });
    const composed = await composeModules([stray], composeDeps());
    expect(() => composed.jobs()).toThrow(
      'module stray: job system:cleanup_expired must be named stray:<task>',
    );
  });

  it('builds each service once, every module named once', () => {
    const names = MODULES.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    expect(Object.keys(t.services).sort()).toEqual(
      [
        'access',
        'analytics',
        'apiKeys',
        'audit',
        'authenticator',
        'business',
        'eventFailures',
        'identity',
        'keys',
        'meter',
        'notifications',
        'rateLimits',
        'security',
        'securitySignals',
        'tenancy',
        'webhooks',
        'work',
        'monitoring',
        'health',
        'healthRunner',
        'alerts',
        'backups',
        'cacheAdmin',
      ].sort(),
    );
  });
});

describe('permissions', () => {
  /** The permissions each module's routes require, read from its routes as it registers them. */
  async function routePermissions(): Promise<Map<string, Set<string>>> {
    const composition = await composeBul({
      config: t.config,
      pool: t.pool,
      masterKey,
      redis: null,
      log: silent,
    });
    const byModule = new Map<string, Set<string>>();
    for (const m of composition.modules) {
      const used = new Set<string>();
      const f: FastifyInstance = Fastify();
      // Only the declarations matter here: no schema is compiled.
      f.setValidatorCompiler(() => () => true);
      f.setSerializerCompiler(() => (data) => JSON.stringify(data));
      f.addHook('onRoute', (route) => {
        const access = route.config as { access?: { permission?: string } } | undefined;
        if (access?.access?.permission) used.add(access.access.permission);
      });
      await m.routes?.(f, { services: composition.services, deps: composition.deps });
      await f.close();
      byModule.set(m.name, used);
    }
    return byModule;
  }

  it('each module declares those its routes require; together they are the catalogue, each declared once', async () => {
    const declared = MODULES.flatMap((m) => [...(m.permissions ?? [])]);
    expect(new Set(declared).size).toBe(declared.length);
    expect([...declared].sort()).toEqual([...ALL_PERMISSIONS].sort());
    for (const [name, used] of await routePermissions()) {
      const own = new Set<string>([...(MODULES.find((m) => m.name === name)?.permissions ?? [])]);
      const undeclared = [...used].filter((p) => !own.has(p) && !PLATFORM_PERMISSIONS.includes(p as never));
      expect(undeclared, `module ${name}`).toEqual([]);
    }
  });

  it('are documented in docs/permissions.md under their module', () => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'permissions.md'), 'utf8');
    for (const m of MODULES)
      for (const p of m.permissions ?? []) expect(doc).toContain(`| \`${p}\` | ${m.name} |`);
  });
});

function composeDeps() {
  return {
    config: t.config,
    pool: t.pool,
    db: null as never,
    box: null as never,
    redis: null,
    rateLimits: null as never,
    cache: null as never,
    log: silent,
    onBackgroundError: () => {},
  };
}
