// IP allow/deny rules: per organization (org admins) and for the whole installation (super
// admins, plus the IP_ALLOWLIST/IP_DENYLIST settings). A change that would shut out the very
// client making it is refused.
import type { Config } from '../../config.ts';
import { newId, PLATFORM_ORG_ID } from '../../platform/db/ids.ts';
import type { Db } from '../../platform/db/transaction.ts';
import { AppError, invalidField, notFound } from '../../platform/errors.ts';
import { IpRangeSet, normaliseCidr } from '../../platform/http/ip-ranges.ts';
import { type CallContext, type OrgSnapshot, tenantScope } from '../../platform/http/request-context.ts';
import { type AuditService, actorOf, diff } from '../audit/service.ts';
import { TENANCY } from './messages.ts';
import type { IpRuleDto } from './schemas.ts';
import * as store from './store.ts';

export type IpRule = { cidr: string; action: 'allow' | 'deny' };

function ipRuleToDto(r: store.IpRuleRow): IpRuleDto {
  return {
    id: r.id,
    cidr: r.cidr,
    action: r.action,
    note: r.note,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    version: r.version,
  };
}

/**
 * Compiles allow/deny rules into a check: deny wins; once any allow rule exists, only addresses it
 * covers get through; no rules let everything through.
 */
export function compileIpRules(rules: readonly IpRule[]): (ip: string) => boolean {
  if (rules.length === 0) return () => true;
  const deny = new IpRangeSet(rules.filter((r) => r.action === 'deny').map((r) => r.cidr));
  const allowList = rules.filter((r) => r.action === 'allow').map((r) => r.cidr);
  const allow = new IpRangeSet(allowList);
  return (ip) => !deny.has(ip) && (allowList.length === 0 || allow.has(ip));
}

export function ipPasses(rules: readonly IpRule[], ip: string): boolean {
  return compileIpRules(rules)(ip);
}

export function assertOrgIpAllowed(org: Pick<OrgSnapshot, 'ipRules' | 'name'>, ip: string): void {
  if (!ipPasses(org.ipRules, ip)) {
    throw new AppError('ip-blocked', TENANCY.orgBlocksAddress({ name: org.name, ip }));
  }
}

export class IpRuleService {
  private readonly db: Db;
  private readonly config: Config;
  private readonly audit: AuditService;
  private platformRulesCache: { at: number; rules: IpRule[] } | null = null;

  constructor(deps: { db: Db; config: Config; audit: AuditService }) {
    this.db = deps.db;
    this.config = deps.config;
    this.audit = deps.audit;
  }

  /** Global rules: configuration lists plus rules stored by super admins (cached 10 s per process). */
  async platformIpRules(): Promise<IpRule[]> {
    const now = Date.now();
    if (!this.platformRulesCache || now - this.platformRulesCache.at > 10_000) {
      const rows = await store.listIpRules(this.db.pool, true);
      this.platformRulesCache = { at: now, rules: rows.map((r) => ({ cidr: r.cidr, action: r.action })) };
    }
    return [
      ...this.config.ipDenylist.map((cidr) => ({ cidr, action: 'deny' as const })),
      ...this.config.ipAllowlist.map((cidr) => ({ cidr, action: 'allow' as const })),
      ...this.platformRulesCache.rules,
    ];
  }

  private ipScope(ctx: CallContext, platform: boolean): { orgId: string; userId: string } {
    return platform ? { orgId: PLATFORM_ORG_ID, userId: ctx.principal.userId } : tenantScope(ctx);
  }

  async listIpRules(ctx: CallContext, platform = false): Promise<IpRuleDto[]> {
    const s = this.ipScope(ctx, platform);
    return (await this.db.transaction(s, (tx) => store.listIpRules(tx, platform))).map(ipRuleToDto);
  }

  async addIpRule(
    ctx: CallContext,
    body: { cidr: string; action: 'allow' | 'deny'; note?: string },
    platform = false,
  ): Promise<IpRuleDto> {
    let cidr: string;
    try {
      cidr = normaliseCidr(body.cidr);
    } catch {
      throw invalidField('cidr', 'cidr', TENANCY.cidr());
    }
    const s = this.ipScope(ctx, platform);
    const row = await this.db.transaction(s, async (tx) => {
      const current = await store.listIpRules(tx, platform);
      const next = [
        ...current.map((r) => ({ cidr: r.cidr, action: r.action })),
        { cidr, action: body.action },
      ];
      // Refuse a rule that would shut out the very client adding it.
      if (!ipPasses(next, ctx.meta.ip)) {
        throw new AppError('conflict', TENANCY.ruleBlocksYou({ ip: ctx.meta.ip }));
      }
      const inserted = await store.insertIpRule(tx, {
        orgId: platform ? null : s.orgId,
        id: newId(),
        cidr,
        action: body.action,
        note: body.note ?? '',
      });
      await this.audit.record(tx, {
        orgId: platform ? null : s.orgId,
        actor: actorOf(ctx),
        action: platform ? 'platform.ip_rule.create' : 'ip_rule.create',
        resourceType: 'ip_rule',
        resourceId: inserted.id,
        changes: diff(null, inserted, ['cidr', 'action', 'note']),
        meta: ctx.meta,
      });
      return inserted;
    });
    if (platform) this.platformRulesCache = null;
    return ipRuleToDto(row);
  }

  async removeIpRule(ctx: CallContext, id: string, platform = false): Promise<void> {
    const s = this.ipScope(ctx, platform);
    await this.db.transaction(s, async (tx) => {
      const current = await store.listIpRules(tx, platform);
      const rule = current.find((r) => r.id === id);
      if (!rule) throw notFound('ipRule');
      const next = current.filter((r) => r.id !== id).map((r) => ({ cidr: r.cidr, action: r.action }));
      if (!ipPasses(next, ctx.meta.ip)) {
        throw new AppError('conflict', TENANCY.removalBlocksYou({ ip: ctx.meta.ip }));
      }
      await store.deleteIpRule(tx, id, platform);
      await this.audit.record(tx, {
        orgId: platform ? null : s.orgId,
        actor: actorOf(ctx),
        action: platform ? 'platform.ip_rule.delete' : 'ip_rule.delete',
        resourceType: 'ip_rule',
        resourceId: id,
        changes: diff(rule, null, ['cidr', 'action', 'note']),
        meta: ctx.meta,
      });
    });
    if (platform) this.platformRulesCache = null;
  }
}
