// SQL of the alerts module (tables in migration 0019). Every statement runs in a tenant
// transaction: row-level security scopes it to the organization (or to the platform's nil one).
import type { Sql } from '../../platform/db/transaction.ts';
import type { AlertStatus, Severity } from './evaluate.ts';
import type { AlertChannel, AlertRecipientSpec, ConditionInput, RuleType } from './schemas.ts';

export interface RuleRow {
  org_id: string;
  id: string;
  name: string;
  description: string;
  type: RuleType;
  severity: Severity;
  conditions: ConditionInput[];
  match: 'all' | 'any';
  evaluate_every_seconds: number;
  cooldown_minutes: number;
  channels: AlertChannel[];
  recipients: AlertRecipientSpec[];
  enabled: boolean;
  builtin_key: string | null;
  silenced_until: Date | null;
  cooldown_until: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export interface RuleInput {
  name: string;
  description: string;
  type: RuleType;
  severity: Severity;
  conditions: ConditionInput[];
  match: 'all' | 'any';
  evaluateEverySeconds: number;
  cooldownMinutes: number;
  channels: readonly string[];
  recipients: readonly AlertRecipientSpec[];
  enabled: boolean;
}

const RULE_VALUES = `$1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11::text[], $12::jsonb, $13, $14, $15`;

const ruleParams = (
  r: RuleInput & { orgId: string; id: string; builtinKey: string | null; createdBy: string | null },
) => [
  r.orgId,
  r.id,
  r.name,
  r.description,
  r.type,
  r.severity,
  JSON.stringify(r.conditions),
  r.match,
  r.evaluateEverySeconds,
  r.cooldownMinutes,
  r.channels,
  JSON.stringify(r.recipients),
  r.enabled,
  r.builtinKey,
  r.createdBy,
];

/** Inserts a rule; with `ifAbsent`, a built-in key the organization already has is left as it is. */
export async function insertRule(
  sql: Sql,
  r: RuleInput & { orgId: string; id: string; builtinKey: string | null; createdBy: string | null },
  ifAbsent = false,
): Promise<RuleRow | null> {
  const { rows } = await sql.query<RuleRow>(
    `INSERT INTO alert_rules (org_id, id, name, description, type, severity, conditions, match,
       evaluate_every_seconds, cooldown_minutes, channels, recipients, enabled, builtin_key, created_by)
     VALUES (${RULE_VALUES})${ifAbsent ? ' ON CONFLICT (org_id, builtin_key) DO NOTHING' : ''} RETURNING *`,
    ruleParams(r),
  );
  return rows[0] ?? null;
}

/** Inserts many built-in rules at once, skipping the keys the organization has. Returns how many were new. */
export async function insertBuiltinRules(
  sql: Sql,
  orgId: string,
  rules: readonly (RuleInput & { id: string; builtinKey: string })[],
): Promise<number> {
  if (rules.length === 0) return 0;
  const { rowCount } = await sql.query(
    `INSERT INTO alert_rules (org_id, id, name, description, type, severity, conditions, match,
       evaluate_every_seconds, cooldown_minutes, channels, recipients, enabled, builtin_key)
     SELECT $1, (r->>'id')::uuid, r->>'name', r->>'description', r->>'type', r->>'severity', r->'conditions',
       r->>'match', (r->>'evaluateEverySeconds')::int, (r->>'cooldownMinutes')::int,
       ARRAY(SELECT jsonb_array_elements_text(r->'channels')), r->'recipients', (r->>'enabled')::boolean, r->>'builtinKey'
     FROM jsonb_array_elements($2::jsonb) r
     ON CONFLICT (org_id, builtin_key) DO NOTHING`,
    [orgId, JSON.stringify(rules)],
  );
  return rowCount ?? 0;
}

export async function listRules(sql: Sql, q: { afterId?: string; limit: number }): Promise<RuleRow[]> {
  const { rows } = await sql.query<RuleRow>(
    `SELECT * FROM alert_rules WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2`,
    [q.afterId ?? null, q.limit + 1],
  );
  return rows;
}

export async function getRule(sql: Sql, id: string, lock = false): Promise<RuleRow | null> {
  const { rows } = await sql.query<RuleRow>(
    `SELECT * FROM alert_rules WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export async function updateRule(sql: Sql, id: string, r: RuleInput): Promise<RuleRow> {
  const { rows } = await sql.query<RuleRow>(
    `UPDATE alert_rules SET name = $2, description = $3, type = $4, severity = $5, conditions = $6::jsonb,
       match = $7, evaluate_every_seconds = $8, cooldown_minutes = $9, channels = $10::text[],
       recipients = $11::jsonb, enabled = $12
     WHERE id = $1 RETURNING *`,
    [
      id,
      r.name,
      r.description,
      r.type,
      r.severity,
      JSON.stringify(r.conditions),
      r.match,
      r.evaluateEverySeconds,
      r.cooldownMinutes,
      r.channels,
      JSON.stringify(r.recipients),
      r.enabled,
    ],
  );
  return rows[0]!;
}

export async function deleteRule(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM alert_rules WHERE id = $1', [id]);
}

export async function setRuleSilence(sql: Sql, id: string, until: Date | null): Promise<void> {
  await sql.query('UPDATE alert_rules SET silenced_until = $2 WHERE id = $1', [id, until]);
}

/** The enabled rules due at this tick (its epoch second a multiple of their interval). */
export async function dueRules(sql: Sql, tickSeconds: number): Promise<RuleRow[]> {
  const { rows } = await sql.query<RuleRow>({
    name: 'bul-alerts-due-rules',
    text: 'SELECT * FROM alert_rules WHERE enabled AND $1::bigint % evaluate_every_seconds = 0',
    values: [tickSeconds],
  });
  return rows;
}

export interface AlertRow {
  org_id: string;
  id: string;
  rule_id: string;
  rule_name?: string;
  status: AlertStatus;
  severity: Severity;
  type: RuleType;
  title: string;
  value: number | null;
  details: Record<string, unknown>;
  started_at: Date;
  fired_at: Date | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  ack_comment: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolution: 'auto' | 'manual' | 'cleared' | null;
  silenced_until?: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

/** The organization's open alerts (not resolved), one per rule at most. */
export async function openAlerts(sql: Sql): Promise<AlertRow[]> {
  const { rows } = await sql.query<AlertRow>({
    name: 'bul-alerts-open',
    text: "SELECT * FROM alerts WHERE status <> 'resolved'",
    values: [],
  });
  return rows;
}

export interface NewAlert {
  orgId: string;
  id: string;
  ruleId: string;
  status: AlertStatus;
  severity: Severity;
  type: RuleType;
  title: string;
  value: number | null;
  details: Record<string, unknown>;
  startedAt: Date;
  firedAt: Date | null;
  severityRank: number;
}

export async function insertAlert(sql: Sql, a: NewAlert): Promise<boolean> {
  const { rowCount } = await sql.query(
    `INSERT INTO alerts (org_id, id, rule_id, status, severity, type, title, value, details, started_at, fired_at, severity_rank)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12)
     ON CONFLICT (org_id, rule_id) WHERE status <> 'resolved' DO NOTHING`,
    [
      a.orgId,
      a.id,
      a.ruleId,
      a.status,
      a.severity,
      a.type,
      a.title,
      a.value,
      JSON.stringify(a.details),
      a.startedAt,
      a.firedAt,
      a.severityRank,
    ],
  );
  return rowCount === 1;
}

/** Moves an alert from one of `from` to `to`; false when it was not in one of them any more. */
export async function moveAlert(
  sql: Sql,
  id: string,
  from: readonly AlertStatus[],
  to: AlertStatus,
  set: {
    at: Date;
    actorId?: string | null;
    value?: number | null;
    details?: Record<string, unknown>;
    comment?: string | null;
    resolution?: 'auto' | 'manual' | 'cleared';
  },
): Promise<AlertRow | null> {
  const { rows } = await sql.query<AlertRow>(
    `UPDATE alerts SET status = $3,
       fired_at = CASE WHEN $3 = 'firing' THEN coalesce(fired_at, $4) ELSE fired_at END,
       acknowledged_at = CASE WHEN $3 = 'acknowledged' THEN $4 ELSE acknowledged_at END,
       acknowledged_by = CASE WHEN $3 = 'acknowledged' THEN $5 ELSE acknowledged_by END,
       ack_comment = CASE WHEN $3 = 'acknowledged' THEN $8 ELSE ack_comment END,
       resolved_at = CASE WHEN $3 = 'resolved' THEN $4 ELSE resolved_at END,
       resolved_by = CASE WHEN $3 = 'resolved' THEN $5 ELSE resolved_by END,
       resolution = CASE WHEN $3 = 'resolved' THEN $9 ELSE resolution END,
       value = coalesce($6, value),
       details = coalesce($7::jsonb, details)
     WHERE id = $1 AND status = ANY($2::text[]) RETURNING *`,
    [
      id,
      from,
      to,
      set.at,
      set.actorId ?? null,
      set.value ?? null,
      set.details ? JSON.stringify(set.details) : null,
      set.comment ?? null,
      set.resolution ?? null,
    ],
  );
  return rows[0] ?? null;
}

export interface NewTransition {
  alertId: string;
  id: string;
  from: string | null;
  to: string;
  at: Date;
  actorId: string | null;
  value: number | null;
  comment: string | null;
}

export async function insertTransitions(
  sql: Sql,
  orgId: string,
  list: readonly NewTransition[],
): Promise<void> {
  if (list.length === 0) return;
  await sql.query(
    `INSERT INTO alert_transitions (org_id, alert_id, id, from_status, to_status, at, actor_id, value, comment)
     SELECT $1, (t->>'alertId')::uuid, (t->>'id')::uuid, t->>'from', t->>'to', (t->>'at')::timestamptz,
       (t->>'actorId')::uuid, (t->>'value')::double precision, t->>'comment'
     FROM jsonb_array_elements($2::jsonb) t`,
    [orgId, JSON.stringify(list)],
  );
}

/**
 * Drops a pending alert whose condition cleared before it fired (its history goes with it):
 * nobody heard of it, and a noisy gauge would otherwise leave a row per flap. False when it is no
 * longer pending.
 */
export async function dropPendingAlert(sql: Sql, id: string): Promise<boolean> {
  const { rowCount } = await sql.query("DELETE FROM alerts WHERE id = $1 AND status = 'pending'", [id]);
  return rowCount === 1;
}

/** Deletes the organization's alerts resolved before `before`, and their history (cascade). */
export async function pruneResolved(sql: Sql, before: Date): Promise<number> {
  const { rowCount } = await sql.query("DELETE FROM alerts WHERE status = 'resolved' AND resolved_at < $1", [
    before,
  ]);
  return rowCount ?? 0;
}

export async function setCooldown(sql: Sql, ruleId: string, until: Date): Promise<void> {
  await sql.query('UPDATE alert_rules SET cooldown_until = $2 WHERE id = $1', [ruleId, until]);
}

const ALERT_SELECT = `SELECT a.*, r.name AS rule_name, r.silenced_until
  FROM alerts a JOIN alert_rules r ON r.org_id = a.org_id AND r.id = a.rule_id`;

export async function getAlert(sql: Sql, id: string, lock = false): Promise<AlertRow | null> {
  const { rows } = await sql.query<AlertRow>(
    `${ALERT_SELECT} WHERE a.id = $1${lock ? ' FOR UPDATE OF a' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export interface TransitionRow {
  from_status: string | null;
  to_status: string;
  at: Date;
  actor_id: string | null;
  /** The member's name (null: the evaluator, or a user this context cannot see). */
  actor_name: string | null;
  value: number | null;
  comment: string | null;
}

export async function transitionsOf(sql: Sql, alertId: string): Promise<TransitionRow[]> {
  const { rows } = await sql.query<TransitionRow>(
    `SELECT t.from_status, t.to_status, t.at, t.actor_id, u.name AS actor_name, t.value, t.comment
     FROM alert_transitions t LEFT JOIN users u ON u.id = t.actor_id WHERE t.alert_id = $1 ORDER BY t.id`,
    [alertId],
  );
  return rows;
}

export async function listAlerts(
  sql: Sql,
  q: { status?: string; severity?: string; ruleId?: string; beforeId?: string; limit: number },
): Promise<AlertRow[]> {
  const statuses = q.status === 'active' ? ['firing', 'acknowledged'] : q.status ? [q.status] : null;
  const { rows } = await sql.query<AlertRow>(
    `${ALERT_SELECT}
     WHERE ($1::text[] IS NULL OR a.status = ANY($1)) AND ($2::text IS NULL OR a.severity = $2)
       AND ($3::uuid IS NULL OR a.rule_id = $3) AND ($4::uuid IS NULL OR a.id < $4)
     ORDER BY a.id DESC LIMIT $5`,
    [statuses, q.severity ?? null, q.ruleId ?? null, q.beforeId ?? null, q.limit + 1],
  );
  return rows;
}

/** Active alerts (firing, acknowledged) most severe first, then the latest resolved ones. */
export async function executiveAlerts(
  sql: Sql,
  limit: number,
): Promise<{ rows: AlertRow[]; counts: Record<string, number> }> {
  const { rows } = await sql.query<AlertRow>(
    `(${ALERT_SELECT} WHERE a.status IN ('firing', 'acknowledged')
       ORDER BY a.severity_rank, (a.status = 'acknowledged'), a.id DESC LIMIT $1)
     UNION ALL
     (${ALERT_SELECT} WHERE a.status = 'resolved' ORDER BY a.id DESC LIMIT $1)`,
    [limit],
  );
  const { rows: counts } = await sql.query<{ severity: string; n: number }>(
    "SELECT severity, count(*)::int AS n FROM alerts WHERE status IN ('firing', 'acknowledged') GROUP BY severity",
  );
  return { rows: rows.slice(0, limit), counts: Object.fromEntries(counts.map((c) => [c.severity, c.n])) };
}

/** Open alerts of every organization and the platform per severity and status (super admins only). */
export async function installationTotals(sql: Sql) {
  const { rows } = await sql.query<{
    severity: string;
    pending: string;
    firing: string;
    acknowledged: string;
  }>('SELECT severity, pending, firing, acknowledged FROM bul_alert_totals()');
  return rows.map((r) => ({
    severity: r.severity,
    pending: Number(r.pending),
    firing: Number(r.firing),
    acknowledged: Number(r.acknowledged),
  }));
}
