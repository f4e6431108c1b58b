// Clients: lifecycle lead → active → churned with the date of every change, an owner who is a
// member, and contacts whose messaging consent records when and where it was given.
import { newId } from '../../platform/db/ids.ts';
import type { Db, Sql } from '../../platform/db/transaction.ts';
import { AppError, fieldError, invalidField, notFound } from '../../platform/errors.ts';
import { changedFields } from '../../platform/events/outbox.ts';
import type { PageOf } from '../../platform/http/pagination.ts';
import { assertVersion } from '../../platform/http/preconditions.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { COMMON } from '../../platform/i18n/common-messages.ts';
import type { Msg } from '../../platform/i18n/message.ts';
import { type AuditService, type ChangeScope, diff, type RecordChange } from '../audit/service.ts';
import type { TenancyService } from '../tenancy/service.ts';
import type {
  ClientDto,
  ClientListQueryType,
  ClientStatusChangeDto,
  ContactDto,
  CreateClientInput,
  CreateContactInput,
  UpdateClientInput,
  UpdateContactInput,
} from './client-schemas.ts';
import * as store from './client-store.ts';
import { WORK } from './messages.ts';
import { assertClientMove } from './transitions.ts';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function clientToDto(c: store.ClientRow): ClientDto {
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    ownerId: c.owner_id,
    email: c.email,
    phone: c.phone,
    website: c.website,
    notes: c.notes,
    tags: c.tags,
    leadAt: iso(c.lead_at),
    activeAt: iso(c.active_at),
    churnedAt: iso(c.churned_at),
    archivedAt: iso(c.archived_at),
    createdAt: c.created_at.toISOString(),
    updatedAt: c.updated_at.toISOString(),
    version: c.version,
  };
}

function contactToDto(c: store.ContactRow): ContactDto {
  return {
    id: c.id,
    clientId: c.client_id,
    name: c.name,
    title: c.title,
    email: c.email,
    phone: c.phone,
    whatsapp: c.whatsapp,
    messagingConsent: c.messaging_consent,
    consentAt: iso(c.consent_at),
    consentSource: c.consent_source,
    createdAt: c.created_at.toISOString(),
    updatedAt: c.updated_at.toISOString(),
    version: c.version,
  };
}

const CONTACT_AUDITED = store.CONTACT_EDITABLE;

/**
 * What the business module keeps about clients and the client lifecycle must respect. Business
 * registers it (`useLedger`): work cannot depend on business, whose dependencies point to work.
 */
export interface ClientLedger {
  /** The client's financial records by kind (contracts, invoices, feedback): any refuses a delete. */
  history(tx: Sql, clientId: string): Promise<Record<string, number>>;
  /** Ends what the client still has running when it churns today, in the same transaction. */
  churned(tx: Sql, ctx: CallContext, clientId: string): Promise<void>;
}

// The kinds of record ClientLedger.history counts, as text of the request's language.
const RECORD_COUNTS: Record<string, (p: { count: number }) => Msg> = {
  contracts: WORK.contractsCount,
  invoices: WORK.invoicesCount,
  feedback: WORK.feedbackCount,
};

function financialHistory(counts: Record<string, number>): AppError {
  const has = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => (RECORD_COUNTS[kind] ?? WORK.contractsCount)({ count: n }));
  return new AppError(
    'financial-history',
    WORK.clientHasFinancialHistory({ records: has.length > 0 ? { list: has } : WORK.financialRecords() }),
    { extra: counts },
  );
}

export class ClientService {
  private readonly db: Db;
  private readonly audit: AuditService;
  private readonly tenancy: TenancyService;
  private ledger: ClientLedger | null = null;

  constructor(deps: { db: Db; audit: AuditService; tenancy: TenancyService }) {
    this.db = deps.db;
    this.audit = deps.audit;
    this.tenancy = deps.tenancy;
  }

  /** Registers the business module's records (see ClientLedger). */
  useLedger(ledger: ClientLedger): void {
    this.ledger = ledger;
  }

  /** Whether a client exists in the organization the transaction acts for (for other modules). */
  exists(tx: Sql, id: string): Promise<boolean> {
    return store.clientExists(tx, id);
  }

  async listClients(ctx: CallContext, q: ClientListQueryType): Promise<PageOf<ClientDto>> {
    const page = await this.db.transaction(tenantScope(ctx), (tx) => store.listClients(tx, q));
    return { items: page.items.map(clientToDto), nextCursor: page.nextCursor };
  }

  async getClient(ctx: CallContext, id: string): Promise<ClientDto> {
    const row = await this.db.transaction(tenantScope(ctx), (tx) => store.getClient(tx, id));
    if (!row) throw notFound('client');
    return clientToDto(row);
  }

  async createClient(ctx: CallContext, body: CreateClientInput): Promise<ClientDto> {
    return this.audit.change(ctx, (tx, record, s) => this.createClientIn(tx, record, s, body));
  }

  /** Creates a client inside the caller's change (used by create and by imports). */
  async createClientIn(
    tx: Sql,
    record: RecordChange,
    s: ChangeScope,
    body: CreateClientInput,
  ): Promise<ClientDto> {
    if (body.ownerId && !(await this.tenancy.members.isMember(tx, body.ownerId))) {
      throw invalidField('ownerId', 'member', COMMON.ownerNotMember());
    }
    const row = await store.insertClient(tx, s.orgId, newId(), {
      name: body.name,
      status: body.status ?? 'lead',
      owner_id: body.ownerId ?? null,
      email: body.email ?? null,
      phone: body.phone ?? null,
      website: body.website ?? null,
      notes: body.notes ?? '',
      tags: body.tags ?? [],
    });
    await store.insertStatusChange(tx, {
      orgId: s.orgId,
      id: newId(),
      clientId: row.id,
      from: null,
      to: row.status,
      by: s.userId,
    });
    await record({
      action: 'client.create',
      resourceType: 'client',
      resourceId: row.id,
      events: [{ type: 'client.created', payload: { id: row.id } }],
      changes: diff(null, row, store.CLIENT_EDITABLE),
    });
    return clientToDto(row);
  }

  async updateClient(
    ctx: CallContext,
    id: string,
    body: UpdateClientInput,
    expectedVersion?: number,
  ): Promise<ClientDto> {
    return this.audit.change(ctx, async (tx, record, s) => {
      const before = await store.getClient(tx, id, true);
      if (!before) throw notFound('client');
      assertVersion(before.version, expectedVersion, 'client');
      if (body.status !== undefined) assertClientMove(before.status, body.status);
      if (body.ownerId && !(await this.tenancy.members.isMember(tx, body.ownerId))) {
        throw invalidField('ownerId', 'member', COMMON.ownerNotMember());
      }
      const fields: Partial<store.ClientFields> = {};
      if (body.name !== undefined) fields.name = body.name;
      if (body.status !== undefined && body.status !== before.status) fields.status = body.status;
      if (body.ownerId !== undefined) fields.owner_id = body.ownerId;
      if (body.email !== undefined) fields.email = body.email;
      if (body.phone !== undefined) fields.phone = body.phone;
      if (body.website !== undefined) fields.website = body.website;
      if (body.notes !== undefined) fields.notes = body.notes;
      if (body.tags !== undefined) fields.tags = body.tags;
      const wasArchived = before.archived_at !== null;
      const archive = body.archived !== undefined && body.archived !== wasArchived ? body.archived : null;
      const archivedAfter = archive ?? wasArchived;
      if (archivedAfter && (fields.status ?? before.status) === 'active') {
        const message = archive ? WORK.activeClientCannotArchive() : WORK.archivedClientCannotBeActive();
        throw new AppError('conflict', message, {
          errors: [fieldError(archive ? 'archived' : 'status', 'archivedNotActive', message)],
        });
      }
      const changes = diff(before, { ...before, ...fields }, store.CLIENT_EDITABLE);
      if (!changes && archive === null) return clientToDto(before);
      let after = changes ? await store.updateClient(tx, id, fields) : before;
      if (archive !== null) after = await store.setArchived(tx, id, archive);
      if (fields.status === 'churned') await this.ledger?.churned(tx, ctx, id);
      if (fields.status) {
        await store.insertStatusChange(tx, {
          orgId: s.orgId,
          id: newId(),
          clientId: id,
          from: before.status,
          to: fields.status,
          by: s.userId,
        });
      }
      await record({
        action: fields.status
          ? 'client.status_change'
          : archive === null
            ? 'client.update'
            : archive
              ? 'client.archive'
              : 'client.unarchive',
        resourceType: 'client',
        resourceId: id,
        events: [
          {
            type: 'client.updated',
            payload: { id, fields: [...changedFields(changes), ...(archive === null ? [] : ['archived'])] },
          },
        ],
        changes: {
          ...changes,
          ...(archive === null ? {} : { archived: { before: wasArchived, after: archive } }),
        },
      });
      return clientToDto(after);
    });
  }

  async deleteClient(ctx: CallContext, id: string, expectedVersion?: number): Promise<void> {
    await this.audit.change(ctx, async (tx, record) => {
      const before = await store.getClient(tx, id, true);
      if (!before) throw notFound('client');
      assertVersion(before.version, expectedVersion, 'client');
      const counts = (await this.ledger?.history(tx, id)) ?? {};
      if (Object.values(counts).some((n) => n > 0)) throw financialHistory(counts);
      try {
        await store.deleteClient(tx, id);
      } catch (err) {
        // The foreign keys refuse too (migration 0011), should a record arrive meanwhile.
        if ((err as { code?: string }).code === '23503') throw financialHistory({});
        throw err;
      }
      await record({
        action: 'client.delete',
        resourceType: 'client',
        resourceId: id,
        events: [{ type: 'client.deleted', payload: { id } }],
        changes: diff(before, null, store.CLIENT_EDITABLE),
      });
    });
  }

  async statusHistory(ctx: CallContext, id: string): Promise<ClientStatusChangeDto[]> {
    const rows = await this.db.transaction(tenantScope(ctx), async (tx) => {
      if (!(await store.clientExists(tx, id))) throw notFound('client');
      return store.statusHistory(tx, id);
    });
    return rows.map((r) => ({
      id: r.id,
      fromStatus: r.from_status,
      toStatus: r.to_status,
      changedAt: r.changed_at.toISOString(),
      changedBy: r.changed_by,
    }));
  }

  // ---- contacts --------------------------------------------------------------------------------

  async listContacts(ctx: CallContext, clientId: string): Promise<ContactDto[]> {
    const rows = await this.db.transaction(tenantScope(ctx), async (tx) => {
      if (!(await store.clientExists(tx, clientId))) throw notFound('client');
      return store.listContacts(tx, clientId);
    });
    return rows.map(contactToDto);
  }

  async createContact(ctx: CallContext, clientId: string, body: CreateContactInput): Promise<ContactDto> {
    return this.audit.change(ctx, async (tx, record, s) => {
      if (!(await store.clientExists(tx, clientId))) throw notFound('client');
      const row = await store.insertContact(tx, s.orgId, newId(), clientId, contactFields(body, null));
      await record({
        action: 'client_contact.create',
        resourceType: 'client_contact',
        resourceId: row.id,
        changes: diff(null, row, CONTACT_AUDITED),
        metadata: { clientId },
      });
      return contactToDto(row);
    });
  }

  async updateContact(
    ctx: CallContext,
    clientId: string,
    id: string,
    body: UpdateContactInput,
    expectedVersion?: number,
  ): Promise<ContactDto> {
    return this.audit.change(ctx, async (tx, record) => {
      const before = await store.getContact(tx, clientId, id, true);
      if (!before) throw notFound('contact');
      assertVersion(before.version, expectedVersion, 'contact');
      const merged = contactFields(body, before);
      const changes = diff(before, { ...before, ...merged }, CONTACT_AUDITED);
      if (!changes) return contactToDto(before);
      const after = await store.updateContact(tx, id, merged);
      await record({
        action: changes.messaging_consent ? 'client_contact.consent_change' : 'client_contact.update',
        resourceType: 'client_contact',
        resourceId: id,
        changes,
        metadata: { clientId },
      });
      return contactToDto(after);
    });
  }

  async deleteContact(
    ctx: CallContext,
    clientId: string,
    id: string,
    expectedVersion?: number,
  ): Promise<void> {
    await this.audit.change(ctx, async (tx, record) => {
      const before = await store.getContact(tx, clientId, id, true);
      if (!before) throw notFound('contact');
      assertVersion(before.version, expectedVersion, 'contact');
      await store.deleteContact(tx, id);
      await record({
        action: 'client_contact.delete',
        resourceType: 'client_contact',
        resourceId: id,
        changes: diff(before, null, CONTACT_AUDITED),
        metadata: { clientId },
      });
    });
  }
}

/**
 * The stored contact fields after applying `body` to `before` (null: a new contact). Consent needs
 * a source; its time defaults to now; withdrawing consent clears both, so stale proof never lingers.
 */
function contactFields(body: UpdateContactInput, before: store.ContactRow | null): store.ContactFields {
  const consent = body.messagingConsent ?? before?.messaging_consent ?? false;
  const wasGiven = before?.messaging_consent ?? false;
  let consentAt =
    body.consentAt !== undefined ? body.consentAt && new Date(body.consentAt) : (before?.consent_at ?? null);
  let consentSource =
    body.consentSource !== undefined ? body.consentSource : (before?.consent_source ?? null);
  if (consent) {
    if (!wasGiven && body.consentAt === undefined) consentAt = new Date();
    if (!consentSource) {
      throw invalidField('consentSource', 'required', WORK.consentSourceRequired());
    }
    if (consentAt && consentAt.getTime() > Date.now() + 60_000) {
      throw invalidField('consentAt', 'notInFuture', WORK.consentInFuture());
    }
  } else {
    consentAt = null;
    consentSource = null;
  }
  return {
    name: body.name ?? before?.name ?? '',
    title: body.title ?? before?.title ?? '',
    email: body.email !== undefined ? body.email : (before?.email ?? null),
    phone: body.phone !== undefined ? body.phone : (before?.phone ?? null),
    whatsapp: body.whatsapp !== undefined ? body.whatsapp : (before?.whatsapp ?? null),
    messaging_consent: consent,
    consent_at: consentAt || null,
    consent_source: consentSource,
  };
}
