// Deals: the sales pipeline with the stage table in transitions.ts. closed_at is set on entering
// won or lost and cleared on reopening; the pipeline summary counts deals and amounts per stage.
import { newId } from '../../platform/db/ids.ts';
import type { Sql } from '../../platform/db/transaction.ts';
import { invalidField, notFound } from '../../platform/errors.ts';
import { changedFields } from '../../platform/events/outbox.ts';
import type { PageOf } from '../../platform/http/pagination.ts';
import { assertVersion } from '../../platform/http/preconditions.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { COMMON } from '../../platform/i18n/common-messages.ts';
import { resourceName } from '../../platform/i18n/resource-names.ts';
import { assertOrgCurrency } from '../../platform/money/currency.ts';
import { diff } from '../audit/service.ts';
import { orgBook, translated } from './common.ts';
import type {
  CreateDealInput,
  DealDto,
  DealListQueryType,
  PipelineDto,
  UpdateDealInput,
} from './deal-schemas.ts';
import * as store from './deal-store.ts';
import type { BusinessDeps } from './deps.ts';
import { assertDealMove, DEAL_STAGES } from './transitions.ts';

export function dealToDto(d: store.DealRow): DealDto {
  return {
    id: d.id,
    title: d.title,
    clientId: d.client_id,
    ownerId: d.owner_id,
    amountMinor: d.amount_minor,
    currency: d.currency,
    stage: d.stage,
    expectedCloseOn: d.expected_close_on,
    closedAt: d.closed_at ? d.closed_at.toISOString() : null,
    createdAt: d.created_at.toISOString(),
    updatedAt: d.updated_at.toISOString(),
    version: d.version,
  };
}

export class DealService {
  private readonly deps: BusinessDeps;

  constructor(deps: BusinessDeps) {
    this.deps = deps;
  }

  async list(ctx: CallContext, q: DealListQueryType): Promise<PageOf<DealDto>> {
    const page = await this.deps.db.transaction(tenantScope(ctx), (tx) => store.listDeals(tx, q));
    return { items: page.items.map(dealToDto), nextCursor: page.nextCursor };
  }

  async get(ctx: CallContext, id: string): Promise<DealDto> {
    const row = await this.deps.db.transaction(tenantScope(ctx), (tx) => store.getDeal(tx, id));
    if (!row) throw notFound('deal');
    return dealToDto(row);
  }

  async pipeline(ctx: CallContext): Promise<PipelineDto> {
    return this.deps.db.transaction(tenantScope(ctx), async (tx) => {
      const { currency } = await orgBook(tx, this.deps.tenancy);
      const rows = await store.pipeline(tx, currency);
      return {
        currency,
        stages: DEAL_STAGES.map((stage) => {
          const r = rows.find((x) => x.stage === stage);
          return { stage, count: r?.count ?? 0, amountMinor: r?.amount_minor ?? 0 };
        }),
      };
    });
  }

  create(ctx: CallContext, body: CreateDealInput): Promise<DealDto> {
    return translated(
      this.deps.audit.change(ctx, async (tx, record, s) => {
        const { currency } = await orgBook(tx, this.deps.tenancy);
        const fields: store.DealFields = {
          title: body.title,
          client_id: body.clientId ?? null,
          owner_id: body.ownerId ?? null,
          amount_minor: body.amountMinor ?? 0,
          currency: body.currency ?? currency,
          stage: body.stage ?? 'lead',
          expected_close_on: body.expectedCloseOn ?? null,
        };
        await this.check(tx, fields, body, currency);
        const row = await store.insertDeal(tx, s.orgId, newId(), fields);
        await record({
          action: 'deal.create',
          resourceType: 'deal',
          resourceId: row.id,
          events: [{ type: 'deal.created', payload: { id: row.id } }],
          changes: diff(null, row, store.DEAL_AUDITED),
        });
        return dealToDto(row);
      }),
    );
  }

  update(ctx: CallContext, id: string, body: UpdateDealInput, expectedVersion?: number): Promise<DealDto> {
    return translated(
      this.deps.audit.change(ctx, async (tx, record) => {
        const before = await store.getDeal(tx, id, true);
        if (!before) throw notFound('deal');
        assertVersion(before.version, expectedVersion, 'deal');
        if (body.stage !== undefined) assertDealMove(before.stage, body.stage);
        const { currency } = await orgBook(tx, this.deps.tenancy);
        const fields: Partial<store.DealFields> = {};
        if (body.title !== undefined) fields.title = body.title;
        if (body.clientId !== undefined) fields.client_id = body.clientId;
        if (body.ownerId !== undefined) fields.owner_id = body.ownerId;
        if (body.amountMinor !== undefined) fields.amount_minor = body.amountMinor;
        if (body.currency !== undefined) fields.currency = body.currency;
        if (body.stage !== undefined && body.stage !== before.stage) fields.stage = body.stage;
        if (body.expectedCloseOn !== undefined) fields.expected_close_on = body.expectedCloseOn;
        const merged = { ...before, ...fields };
        await this.check(tx, merged, body, currency);
        if (!diff(before, merged, store.DEAL_EDITABLE)) return dealToDto(before);
        const after = await store.updateDeal(tx, id, fields);
        const changes = diff(before, after, store.DEAL_AUDITED);
        await record({
          action: fields.stage ? 'deal.stage_change' : 'deal.update',
          resourceType: 'deal',
          resourceId: id,
          events: [{ type: 'deal.updated', payload: { id, fields: changedFields(changes) } }],
          changes,
        });
        return dealToDto(after);
      }),
    );
  }

  async delete(ctx: CallContext, id: string, expectedVersion?: number): Promise<void> {
    await this.deps.audit.change(ctx, async (tx, record) => {
      const before = await store.getDeal(tx, id, true);
      if (!before) throw notFound('deal');
      assertVersion(before.version, expectedVersion, 'deal');
      await store.deleteDeal(tx, id);
      await record({
        action: 'deal.delete',
        resourceType: 'deal',
        resourceId: id,
        events: [{ type: 'deal.deleted', payload: { id } }],
        changes: diff(before, null, store.DEAL_AUDITED),
      });
    });
  }

  /** The rules a deal's fields must meet; `given` says which fields the caller sent. */
  private async check(
    tx: Sql,
    f: store.DealFields,
    given: UpdateDealInput,
    orgCurrency: string,
  ): Promise<void> {
    if (given.currency !== undefined) assertOrgCurrency('currency', f.currency, orgCurrency);
    if (given.clientId && !(await this.deps.work.clients.exists(tx, given.clientId))) {
      throw invalidField('clientId', 'exists', COMMON.noSuch({ what: resourceName('client') }));
    }
    if (given.ownerId && !(await this.deps.tenancy.members.isMember(tx, given.ownerId))) {
      throw invalidField('ownerId', 'member', COMMON.ownerNotMember());
    }
  }
}
