// What a module is, to the processes that compose it. Each module in src/modules/<name>/ exports
// one definition (its definition.ts); src/modules/index.ts lists them in dependency order, and
// every process role builds them from that list (compose.ts): the API process mounts their routes,
// the worker runs their jobs and schedules, both start their background loops (background.ts).
// The platform knows modules only through this shape; it never imports one.
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Cache } from './cache/cache.ts';
import type { MasterKey } from './crypto/master-key.ts';
import type { SecretBox } from './crypto/secret-box.ts';
import type { Db } from './db/transaction.ts';
import type { DomainEvent } from './events/catalogue.ts';
import type { EventHandlerContext } from './events/registry.ts';
import type { Permission } from './http/permissions.ts';
import type { RateLimitStore } from './http/rate-limit.ts';
import type { JobDefinition } from './jobs/worker.ts';

/** What every module may use to build its services: the process's shared mechanisms. */
export interface PlatformDeps {
  config: Config;
  pool: pg.Pool;
  db: Db;
  box: SecretBox;
  redis: Redis | null;
  rateLimits: RateLimitStore;
  /** The process's cache (platform/cache): memory, or Redis; invalidations reach every process. */
  cache: Cache;
  log: Logger;
  /** The master key (backups derive their default key and the installation id from it). */
  masterKey?: MasterKey;
  /** The owner connection (backups read every table through it); null when unknown. */
  ownerUrl?: string | null;
  /** For loops and after-commit work that have nobody to report an error to. */
  onBackgroundError(err: unknown): void;
}

/** The roles a process runs (`bul start --role`); `all` is both. */
export type ProcessRole = 'api' | 'worker';

/** A loop a process keeps running while it is up (sealing, flushing counters); stopped on shutdown. */
export interface BackgroundLoop {
  name: string;
  /** The roles whose processes run it; a process of role `all` runs it once. */
  roles: readonly ProcessRole[];
  /** `roles`: the roles of the process starting it. */
  start(roles?: readonly ProcessRole[]): void | Promise<void>;
  stop(): void | Promise<void>;
}

export type { DomainEvent } from './events/catalogue.ts';
export type { EventHandlerContext } from './events/registry.ts';

/**
 * A module's handler for one event type, run by every worker's dispatcher for each committed event
 * of that type, inside a tenant transaction (`ctx.tx`) that also marks the event done for the
 * module: its database writes commit once however often the event is delivered (at least once).
 * Throwing asks for a retry (platform/events/registry.ts).
 */
export type EventHandler = (event: DomainEvent, ctx: EventHandlerContext) => Promise<void>;

/**
 * A module's handling of several of its events at once, in commit order, in one transaction (the
 * dispatcher's fast path), to save round trips. It must do exactly what the module's handlers do
 * for each event: when it throws, the events run again one by one through those.
 */
export type BatchEventHandler = (events: DomainEvent[], ctx: EventHandlerContext) => Promise<void>;

/** What a module's hooks receive once every service it needs is built. */
export interface ModuleContext<Services> {
  /** This module's services and those of the modules it needs. */
  services: Services;
  deps: PlatformDeps;
}

type Named = Record<string, unknown>;

export interface ModuleDefinition<
  Name extends string = string,
  Provides extends Named = Named,
  Needs extends Named = Named,
> {
  name: Name;
  /**
   * The services (by name) of earlier modules that `build` uses; composing fails if one is not
   * built yet, i.e. the list is out of dependency order.
   */
  needs: readonly (keyof Needs & string)[];
  /** Builds the module's services, named (merged into the process's service registry). */
  build(deps: PlatformDeps, services: Needs): Provides | Promise<Provides>;
  /** Registers the module's HTTP routes on the `/api/v1` scope (API processes only). */
  routes?(api: FastifyInstance, ctx: ModuleContext<Provides & Needs>): Promise<void>;
  /** Routes outside `/api/v1` (e.g. `/.well-known/jwks.json`). */
  rootRoutes?(app: FastifyInstance, ctx: ModuleContext<Provides & Needs>): Promise<void>;
  /** graphile-worker tasks (name `<module>:<task>`), with their cron schedules (worker processes). */
  jobs?(ctx: ModuleContext<Provides & Needs>): JobDefinition[];
  /** Loops a process keeps running for this module (started and stopped by background.ts). */
  background?(ctx: ModuleContext<Provides & Needs>): BackgroundLoop[];
  /** The permissions of the catalogue this module's routes are guarded by (docs/permissions.md). */
  permissions?: readonly Permission[];
  events?: {
    /** The event types this module's services emit. */
    emits?: readonly string[];
    /** Handlers by event type, run by workers for each committed event of that type. */
    handles?(ctx: ModuleContext<Provides & Needs>): Record<string, EventHandler>;
    /** Optional: the same handlers over a batch of events at once (BatchEventHandler). */
    handlesBatch?(ctx: ModuleContext<Provides & Needs>): BatchEventHandler;
  };
}

/** Declares a module, keeping its name and service types for the registry (src/modules/index.ts). */
export function defineModule<
  const Name extends string,
  Provides extends Named,
  Needs extends Named = Record<never, never>,
>(definition: ModuleDefinition<Name, Provides, Needs>): ModuleDefinition<Name, Provides, Needs> {
  return definition;
}

// biome-ignore lint/suspicious/noExplicitAny: a list holds definitions of any service types
export type AnyModule = ModuleDefinition<string, any, any>;

type UnionToIntersection<U> = (U extends unknown ? (k: U) => void : never) extends (k: infer I) => void
  ? I
  : never;

/** The service registry a list of modules builds: every module's named services, together. */
export type ServicesOf<L extends readonly AnyModule[]> = UnionToIntersection<
  { [K in keyof L]: L[K] extends { build(...args: never[]): infer P } ? Awaited<P> : never }[number]
>;
