// The seam between the event mechanism and whatever reacts to events: a module (or anything
// built at start-up) registers handlers here; every worker process's dispatcher runs them.
// A handler is idempotent by event id without effort of its own: it runs inside a tenant
// transaction (app.org_id = the event's organization) that also records "(handler, event) done",
// so its database writes commit together with that mark, once. Effects outside the database
// (an HTTP call) should be queued as rows in `ctx.tx` and performed by their own job.
import type { Logger } from 'pino';
import type { RegisteredHandler } from '../compose.ts';
import type { Sql } from '../db/transaction.ts';
import type { DomainEvent, EventType } from './catalogue.ts';

export interface EventHandlerContext {
  /**
   * The tenant transaction the handler runs in (RLS scoped to the event's organization): a handle
   * of its own per run (one event, or a batch on the fast path), so it may key per-run caches.
   */
  tx: Sql;
  orgId: string;
  /** 1 on the first try, then 2, 3, ... */
  attempt: number;
  log: Logger;
}

export interface EventHandler {
  /** Unique and stable: the key of its progress, idempotency marks and failures. */
  name: string;
  /** The event types it handles; `'*'` for every type. */
  events: readonly (EventType | '*')[];
  handle(event: DomainEvent, ctx: EventHandlerContext): Promise<void>;
  /**
   * Optional: the same for several events at once, in order, in one transaction (the dispatcher's
   * fast path), to save round trips. A failure runs them again one by one through this with one
   * event each, so it must do exactly what `handle` does per event.
   */
  handleBatch?(events: DomainEvent[], ctx: EventHandlerContext): Promise<void>;
}

export class EventHandlerRegistry {
  private readonly handlers = new Map<string, EventHandler>();

  register(...handlers: EventHandler[]): this {
    for (const h of handlers) {
      if (!/^[a-z][a-z0-9_.:-]{0,99}$/.test(h.name)) throw new Error(`bad event handler name "${h.name}"`);
      if (this.handlers.has(h.name)) throw new Error(`event handler "${h.name}" registered twice`);
      this.handlers.set(h.name, h);
    }
    return this;
  }

  get(name: string): EventHandler | undefined {
    return this.handlers.get(name);
  }

  list(): EventHandler[] {
    return [...this.handlers.values()];
  }
}

/**
 * The modules' handlers (Composition.eventHandlers(), by event type) as one registry handler per
 * module, named after it: a module keeps one position, one idempotency mark and one failure per
 * event, whatever number of types it handles.
 */
export function moduleEventHandlers(byType: Map<string, RegisteredHandler[]>): EventHandler[] {
  const byModule = new Map<string, Map<string, RegisteredHandler['handle']>>();
  const batches = new Map<string, NonNullable<RegisteredHandler['batch']>>();
  for (const [type, handlers] of byType) {
    for (const { module, handle, batch } of handlers) {
      const types = byModule.get(module) ?? new Map<string, RegisteredHandler['handle']>();
      types.set(type, handle);
      byModule.set(module, types);
      if (batch) batches.set(module, batch);
    }
  }
  return [...byModule].map(([module, types]): EventHandler => {
    const batch = batches.get(module);
    return {
      name: module,
      events: [...types.keys()] as EventType[],
      handle: async (event, ctx) => types.get(event.type)?.(event, ctx),
      // The dispatcher reads only the types above; the filter keeps a batch to them regardless.
      ...(batch
        ? {
            handleBatch: (events, ctx) =>
              batch(
                events.filter((e) => types.has(e.type)),
                ctx,
              ),
          }
        : {}),
    };
  });
}
