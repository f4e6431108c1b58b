// Builds a list of module definitions, in order, into one process's services, and collects what
// the process's roles run from them: routes, jobs and schedules, background loops, event handlers.
import type { FastifyInstance } from 'fastify';
import type { JobDefinition } from './jobs/worker.ts';
import type {
  AnyModule,
  BackgroundLoop,
  BatchEventHandler,
  EventHandler,
  ModuleContext,
  PlatformDeps,
  ServicesOf,
} from './module.ts';

/** `task.created`, `project.status_changed`: `<resource>.<verb>`, lower snake case. */
const EVENT_TYPE = /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/;

export interface RegisteredHandler {
  module: string;
  handle: EventHandler;
  /** The module's handler of a batch of its events, when it has one (the same for all its types). */
  batch?: BatchEventHandler;
}

export interface Composition<L extends readonly AnyModule[]> {
  modules: L;
  deps: PlatformDeps;
  services: ServicesOf<L>;
  /** Registers every module's `/api/v1` routes on `api`, in list order. */
  registerRoutes(api: FastifyInstance): Promise<void>;
  /** Registers every module's routes outside `/api/v1`. */
  registerRootRoutes(app: FastifyInstance): Promise<void>;
  jobs(): JobDefinition[];
  backgroundLoops(): BackgroundLoop[];
  /** Event handlers by event type, for the dispatcher. */
  eventHandlers(): Map<string, RegisteredHandler[]>;
  /** Every module's declared permissions. */
  permissions(): { module: string; permission: string }[];
}

export async function composeModules<const L extends readonly AnyModule[]>(
  modules: L,
  deps: PlatformDeps,
): Promise<Composition<L>> {
  const services: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const m of modules) {
    if (seen.has(m.name)) throw new Error(`module ${m.name} is listed twice`);
    seen.add(m.name);
    const missing = m.needs.filter((name) => !(name in services));
    if (missing.length > 0)
      throw new Error(
        `module ${m.name} needs ${missing.join(', ')}, not built before it: list it after the module that provides it`,
      );
    const built = await m.build(deps, services);
    for (const name of Object.keys(built)) {
      if (name in services)
        throw new Error(`module ${m.name} provides ${name}, which another module provides`);
      services[name] = built[name];
    }
  }
  const ctx: ModuleContext<Record<string, unknown>> = { services, deps };
  for (const m of modules) {
    const types = [...(m.events?.emits ?? []), ...Object.keys(m.events?.handles?.(ctx) ?? {})];
    const badType = types.find((type) => !EVENT_TYPE.test(type));
    if (badType)
      throw new Error(`module ${m.name}: event type ${badType} is not <resource>.<verb> in lower snake case`);
  }
  const names = <T extends { name: string }>(what: string, list: T[]): T[] => {
    const seenNames = new Set<string>();
    for (const { name } of list) {
      if (seenNames.has(name)) throw new Error(`two modules declare the ${what} ${name}`);
      seenNames.add(name);
    }
    return list;
  };
  return {
    modules,
    deps,
    services: services as ServicesOf<L>,
    async registerRoutes(api) {
      for (const m of modules) if (m.routes) await m.routes(api, ctx);
    },
    async registerRootRoutes(app) {
      for (const m of modules) if (m.rootRoutes) await m.rootRoutes(app, ctx);
    },
    jobs: () =>
      names(
        'job',
        modules.flatMap((m) =>
          (m.jobs?.(ctx) ?? []).map((job) => {
            if (!job.name.startsWith(`${m.name}:`))
              throw new Error(`module ${m.name}: job ${job.name} must be named ${m.name}:<task>`);
            return job;
          }),
        ),
      ),
    backgroundLoops: () =>
      names(
        'background loop',
        modules.flatMap((m) => m.background?.(ctx) ?? []),
      ),
    eventHandlers() {
      const byType = new Map<string, RegisteredHandler[]>();
      for (const m of modules) {
        const batch = m.events?.handlesBatch?.(ctx);
        for (const [type, handle] of Object.entries(m.events?.handles?.(ctx) ?? {})) {
          const list = byType.get(type) ?? [];
          list.push({ module: m.name, handle, ...(batch ? { batch } : {}) });
          byType.set(type, list);
        }
      }
      return byType;
    },
    permissions: () =>
      modules.flatMap((m) => (m.permissions ?? []).map((permission) => ({ module: m.name, permission }))),
  };
}
