// Invitations: an org member invites an e-mail address with a role; the token is shown once and
// stored as a digest; accepting turns it into a membership, within the plan's user limit.
import type { Config } from '../../config.ts';
import { digestToken, randomToken } from '../../platform/crypto/tokens.ts';
import { newId } from '../../platform/db/ids.ts';
import type { Db, Sql } from '../../platform/db/transaction.ts';
import { AppError, invalidField, notFound } from '../../platform/errors.ts';
import { decodeCursor, isIdCursor, type PageOf, toPage } from '../../platform/http/pagination.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { COMMON } from '../../platform/i18n/common-messages.ts';
import { resourceName } from '../../platform/i18n/resource-names.ts';
import type { AccessService } from '../access/service.ts';
import { type AuditActor, type AuditService, actorOf } from '../audit/service.ts';
import { TENANCY } from './messages.ts';
import type { InvitationDto } from './schemas.ts';
import * as store from './store.ts';

function invitationStatus(i: store.InvitationRow): InvitationDto['status'] {
  if (i.accepted_at) return 'accepted';
  if (i.revoked_at) return 'revoked';
  return i.expires_at.getTime() <= Date.now() ? 'expired' : 'open';
}

function invitationToDto(i: store.InvitationRow): InvitationDto {
  return {
    id: i.id,
    email: i.email,
    role: { id: i.role_id, name: i.role_name },
    departmentId: i.department_id,
    invitedBy: i.invited_by,
    status: invitationStatus(i),
    expiresAt: i.expires_at.toISOString(),
    acceptedAt: i.accepted_at?.toISOString() ?? null,
    createdAt: i.created_at.toISOString(),
    updatedAt: i.updated_at.toISOString(),
    version: i.version,
  };
}

/** Throws quota-exceeded when members plus open invitations already fill the plan's user limit. */
export async function assertSeatAvailable(tx: Sql, orgId: string, openInvitations: number): Promise<void> {
  const org = await store.getOrg(tx, orgId);
  const plan = org ? await store.getPlan(tx, org.plan_id) : null;
  if (!plan || plan.max_users === null) return;
  const members = await store.countMembers(tx);
  const used = members + openInvitations;
  if (used >= plan.max_users) {
    const params = { plan: plan.name, max: plan.max_users, members, invitations: openInvitations };
    throw new AppError(
      'quota-exceeded',
      openInvitations ? TENANCY.seatsWithInvitations(params) : TENANCY.seats(params),
      {
        extra: { limit: { name: 'max_users', value: plan.max_users }, usage: used },
      },
    );
  }
}

export class InvitationService {
  private readonly db: Db;
  private readonly config: Config;
  private readonly audit: AuditService;
  private readonly access: AccessService;

  constructor(deps: { db: Db; config: Config; audit: AuditService; access: AccessService }) {
    this.db = deps.db;
    this.config = deps.config;
    this.audit = deps.audit;
    this.access = deps.access;
  }

  /** The open invitation a token stands for, or 401 invalid-token. */
  async openInvitation(token: string): Promise<{ orgId: string; id: string; email: string }> {
    const ref = await store.invitationByToken(this.db.pool, digestToken(token));
    if (!ref) throw new AppError('invalid-token', TENANCY.unknownInvitation());
    const inv = await this.db.transaction({ orgId: ref.org_id, userId: null }, (tx) =>
      store.getInvitation(tx, ref.id),
    );
    if (!inv || invitationStatus(inv) !== 'open') {
      const status = inv ? invitationStatus(inv) : 'gone';
      throw new AppError(
        'invalid-token',
        status === 'accepted'
          ? TENANCY.invitationAccepted()
          : status === 'revoked'
            ? TENANCY.invitationRevoked()
            : status === 'expired'
              ? TENANCY.invitationExpired()
              : TENANCY.invitationGone(),
      );
    }
    return { orgId: ref.org_id, id: ref.id, email: inv.email };
  }

  /** Turns an open invitation into a membership; the transaction acts for the invitation's organization. */
  async acceptInvitation(
    tx: Sql,
    a: {
      orgId: string;
      invitationId: string;
      userId: string;
      email: string;
      actor: AuditActor;
      meta: CallContext['meta'];
    },
  ): Promise<string> {
    await store.lockMemberships(tx, a.orgId);
    const inv = await store.getInvitation(tx, a.invitationId, true);
    if (!inv || invitationStatus(inv) !== 'open')
      throw new AppError('invalid-token', TENANCY.invitationNoLongerValid());
    if (inv.email.toLowerCase() !== a.email.toLowerCase())
      throw new AppError('invalid-token', TENANCY.invitationOtherEmail());
    if (await store.memberByUser(tx, a.userId)) throw new AppError('conflict', TENANCY.alreadyMember());
    await assertSeatAvailable(tx, a.orgId, 0);
    const membershipId = newId();
    await store.insertMembership(tx, {
      orgId: a.orgId,
      id: membershipId,
      userId: a.userId,
      roleId: inv.role_id,
      departmentId: inv.department_id,
    });
    await store.markInvitationAccepted(tx, inv.id, a.userId);
    await this.audit.record(tx, {
      orgId: a.orgId,
      actor: a.actor,
      action: 'invitation.accept',
      resourceType: 'invitation',
      resourceId: inv.id,
      events: [{ type: 'member.joined', payload: { id: a.userId, roleId: inv.role_id } }],
      metadata: { membershipId, email: inv.email, role: inv.role_name },
      meta: a.meta,
    });
    return membershipId;
  }

  async listInvitations(
    ctx: CallContext,
    q: { status?: string; limit?: number; cursor?: string },
  ): Promise<PageOf<InvitationDto>> {
    const s = tenantScope(ctx);
    const limit = q.limit ?? 50;
    const cursor = decodeCursor(q.cursor, isIdCursor);
    const rows = await this.db.transaction(s, (tx) =>
      store.listInvitations(tx, { status: q.status, afterId: cursor?.id, limit }),
    );
    return toPage(rows, limit, invitationToDto, (r) => ({ id: r.id }));
  }

  async createInvitation(
    ctx: CallContext,
    body: { email: string; roleId: string; departmentId?: string | null },
  ) {
    const s = tenantScope(ctx);
    const token = randomToken('inv');
    const row = await this.db.transaction(s, async (tx) => {
      await store.lockMemberships(tx, s.orgId);
      const role = await this.access.roleInTx(tx, body.roleId);
      if (!role) throw invalidField('roleId', 'exists', COMMON.noSuch({ what: resourceName('role') }));
      this.access.assertCanAssign(ctx.principal, role);
      if (body.departmentId && !(await store.getDepartment(tx, body.departmentId))) {
        throw invalidField('departmentId', 'exists', COMMON.noSuch({ what: resourceName('department') }));
      }
      const { rows: existing } = await tx.query(
        'SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id WHERE lower(u.email) = lower($1)',
        [body.email],
      );
      if (existing.length > 0)
        throw new AppError('conflict', TENANCY.emailAlreadyMember({ email: body.email }));
      await store.revokeExpiredInvitationsFor(tx, body.email);
      await assertSeatAvailable(tx, s.orgId, await store.countOpenInvitations(tx));
      const id = newId();
      await store.insertInvitation(tx, {
        orgId: s.orgId,
        id,
        email: body.email,
        roleId: role.id,
        departmentId: body.departmentId ?? null,
        tokenHash: digestToken(token),
        invitedBy: ctx.principal.userId,
        expiresAt: new Date(Date.now() + this.config.invitationTtl * 1000),
      });
      await this.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'invitation.create',
        resourceType: 'invitation',
        resourceId: id,
        events: [
          { type: 'member.invited', payload: { id, email: body.email.toLowerCase(), roleId: role.id } },
        ],
        metadata: { email: body.email.toLowerCase(), role: role.name },
        meta: ctx.meta,
      });
      return (await store.getInvitation(tx, id))!;
    });
    return { ...invitationToDto(row), token };
  }

  async revokeInvitation(ctx: CallContext, id: string): Promise<void> {
    const s = tenantScope(ctx);
    await this.db.transaction(s, async (tx) => {
      const inv = await store.getInvitation(tx, id, true);
      if (!inv) throw notFound('invitation');
      if (invitationStatus(inv) !== 'open')
        throw new AppError(
          'conflict',
          invitationStatus(inv) === 'accepted'
            ? TENANCY.invitationAlreadyAccepted()
            : invitationStatus(inv) === 'revoked'
              ? TENANCY.invitationAlreadyRevoked()
              : TENANCY.invitationAlreadyExpired(),
        );
      await store.revokeInvitation(tx, id);
      await this.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'invitation.revoke',
        resourceType: 'invitation',
        resourceId: id,
        metadata: { email: inv.email },
        meta: ctx.meta,
      });
    });
  }
}
