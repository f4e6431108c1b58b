// Contracts: a client's recurring amount per month or year between a start and an optional end
// date, in the organization's currency. MRR is the sum of the active contracts' monthly values.
import { newId } from '../../platform/db/ids.ts';
import type { Sql } from '../../platform/db/transaction.ts';
import { AppError, fieldError, invalidField, notFound } from '../../platform/errors.ts';
import { changedFields } from '../../platform/events/outbox.ts';
import type { PageOf } from '../../platform/http/pagination.ts';
import { assertVersion } from '../../platform/http/preconditions.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { COMMON } from '../../platform/i18n/common-messages.ts';
import { resourceName } from '../../platform/i18n/resource-names.ts';
import { assertOrgCurrency } from '../../platform/money/currency.ts';
import { actorOf, diff } from '../audit/service.ts';
import { orgBook, translated } from './common.ts';
import type {
  ContractDto,
  ContractListQueryType,
  CreateContractInput,
  UpdateContractInput,
} from './contract-schemas.ts';
import * as store from './contract-store.ts';
import type { BusinessDeps } from './deps.ts';
import { BUSINESS } from './messages.ts';

export function contractToDto(c: store.ContractRow): ContractDto {
  return {
    id: c.id,
    clientId: c.client_id,
    name: c.name,
    amountMinor: c.amount_minor,
    currency: c.currency,
    billingInterval: c.billing_interval,
    startDate: c.start_date,
    endDate: c.end_date,
    monthlyValueMinor: c.monthly_value_minor,
    createdAt: c.created_at.toISOString(),
    updatedAt: c.updated_at.toISOString(),
    version: c.version,
  };
}

export class ContractService {
  private readonly deps: BusinessDeps;

  constructor(deps: BusinessDeps) {
    this.deps = deps;
  }

  async list(ctx: CallContext, q: ContractListQueryType): Promise<PageOf<ContractDto>> {
    const page = await this.deps.db.transaction(tenantScope(ctx), async (tx) => {
      const { today } = await orgBook(tx, this.deps.tenancy);
      return store.listContracts(tx, q, today);
    });
    return { items: page.items.map(contractToDto), nextCursor: page.nextCursor };
  }

  async get(ctx: CallContext, id: string): Promise<ContractDto> {
    const row = await this.deps.db.transaction(tenantScope(ctx), (tx) => store.getContract(tx, id));
    if (!row) throw notFound('contract');
    return contractToDto(row);
  }

  create(ctx: CallContext, body: CreateContractInput): Promise<ContractDto> {
    return translated(
      this.deps.audit.change(ctx, async (tx, record, s) => {
        const { currency } = await orgBook(tx, this.deps.tenancy);
        const fields: store.ContractFields = {
          client_id: body.clientId,
          name: body.name,
          amount_minor: body.amountMinor,
          currency: body.currency ?? currency,
          billing_interval: body.billingInterval,
          start_date: body.startDate,
          end_date: body.endDate ?? null,
        };
        await this.check(tx, fields, body, currency);
        const row = await store.insertContract(tx, s.orgId, newId(), fields);
        await record({
          action: 'contract.create',
          resourceType: 'contract',
          resourceId: row.id,
          events: [{ type: 'contract.created', payload: { id: row.id, clientId: row.client_id } }],
          changes: diff(null, row, store.CONTRACT_EDITABLE),
        });
        return contractToDto(row);
      }),
    );
  }

  update(
    ctx: CallContext,
    id: string,
    body: UpdateContractInput,
    expectedVersion?: number,
  ): Promise<ContractDto> {
    return translated(
      this.deps.audit.change(ctx, async (tx, record) => {
        const before = await store.getContract(tx, id, true);
        if (!before) throw notFound('contract');
        assertVersion(before.version, expectedVersion, 'contract');
        const { currency } = await orgBook(tx, this.deps.tenancy);
        const fields: Partial<store.ContractFields> = {};
        if (body.clientId !== undefined) fields.client_id = body.clientId;
        if (body.name !== undefined) fields.name = body.name;
        if (body.amountMinor !== undefined) fields.amount_minor = body.amountMinor;
        if (body.currency !== undefined) fields.currency = body.currency;
        if (body.billingInterval !== undefined) fields.billing_interval = body.billingInterval;
        if (body.startDate !== undefined) fields.start_date = body.startDate;
        if (body.endDate !== undefined) fields.end_date = body.endDate;
        const merged = { ...before, ...fields };
        await this.check(tx, merged, body, currency);
        const changes = diff(before, merged, store.CONTRACT_EDITABLE);
        if (!changes) return contractToDto(before);
        const after = await store.updateContract(tx, id, fields);
        await record({
          action: 'contract.update',
          resourceType: 'contract',
          resourceId: id,
          events: [
            {
              type: 'contract.updated',
              payload: { id, clientId: after.client_id, fields: changedFields(changes) },
            },
          ],
          changes,
        });
        return contractToDto(after);
      }),
    );
  }

  async delete(ctx: CallContext, id: string, expectedVersion?: number): Promise<void> {
    await this.deps.audit.change(ctx, async (tx, record) => {
      const before = await store.getContract(tx, id, true);
      if (!before) throw notFound('contract');
      assertVersion(before.version, expectedVersion, 'contract');
      const { today } = await orgBook(tx, this.deps.tenancy);
      // A contract that started before today has counted in past MRR: deleting it would change it.
      if (before.start_date < today) {
        throw new AppError(
          'financial-history',
          BUSINESS.contractHasCountedInMrr({ start: { day: before.start_date } }),
          { extra: { startDate: before.start_date, endDate: before.end_date } },
        );
      }
      await store.deleteContract(tx, id);
      await record({
        action: 'contract.delete',
        resourceType: 'contract',
        resourceId: id,
        events: [{ type: 'contract.deleted', payload: { id, clientId: before.client_id } }],
        changes: diff(before, null, store.CONTRACT_EDITABLE),
      });
    });
  }

  /**
   * A client churns today: each of its contracts still running ends the day before (endDate = its
   * last billed day), so from the churn day on MRR no longer counts it. A contract starting today
   * or later has nothing to end; the churn is refused until it is deleted or moved (it has not
   * counted in past MRR, so it may be deleted). Runs in the client's transaction.
   */
  async endForChurn(tx: Sql, ctx: CallContext, clientId: string): Promise<void> {
    const s = tenantScope(ctx);
    const { today } = await orgBook(tx, this.deps.tenancy);
    const running = await store.runningContracts(tx, clientId, today);
    const future = running.filter((c) => c.start_date >= today);
    if (future.length > 0) {
      const message = BUSINESS.futureContractsBlockChurn({ count: future.length, today: { day: today } });
      throw new AppError('conflict', message, {
        errors: [fieldError('status', 'noFutureContracts', message)],
        extra: { contracts: future.map((c) => ({ id: c.id, startDate: c.start_date })) },
      });
    }
    for (const before of running) {
      const after = await store.endContract(tx, before.id, today);
      await this.deps.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'contract.update',
        resourceType: 'contract',
        resourceId: before.id,
        events: [
          {
            type: 'contract.updated',
            payload: {
              id: before.id,
              clientId: before.client_id,
              fields: changedFields(diff(before, after, store.CONTRACT_EDITABLE)),
            },
          },
        ],
        changes: diff(before, after, store.CONTRACT_EDITABLE),
        metadata: { reason: 'client.churn', clientId },
        meta: ctx.meta,
      });
    }
  }

  /** The rules a contract's fields must meet; `given` says which fields the caller sent. */
  private async check(
    tx: Sql,
    f: store.ContractFields,
    given: UpdateContractInput,
    orgCurrency: string,
  ): Promise<void> {
    if (given.currency !== undefined) assertOrgCurrency('currency', f.currency, orgCurrency);
    if (f.end_date !== null && f.end_date < f.start_date) {
      throw invalidField(
        given.endDate === undefined && given.startDate !== undefined ? 'startDate' : 'endDate',
        'notBeforeStart',
        COMMON.endBeforeStart({ end: { day: f.end_date }, start: { day: f.start_date } }),
      );
    }
    if (given.clientId !== undefined && !(await this.deps.work.clients.exists(tx, given.clientId))) {
      throw invalidField('clientId', 'exists', COMMON.noSuch({ what: resourceName('client') }));
    }
  }
}
