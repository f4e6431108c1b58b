// SQL of the security module: threats, the facts the detectors count, known origins. Every query
// runs in a tenant transaction (row-level security on app.org_id); the cross-organization counts
// and the account figures go through the SECURITY DEFINER functions of migration 0020, the
// installation's totals (every organization and the platform) through those of 0022.
import type { Sql } from '../../platform/db/transaction.ts';

export type ThreatType =
  | 'failed_login_burst_account'
  | 'failed_login_burst_ip'
  | 'credential_stuffing_ip'
  | 'credential_stuffing_account'
  | 'new_login_location'
  | 'impossible_travel'
  | 'refresh_token_reuse'
  | 'api_key_new_ip'
  | 'permission_escalation'
  | 'mass_delete'
  | 'mass_export';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface ThreatRow {
  org_id: string;
  id: string;
  type: ThreatType;
  severity: Severity;
  user_id: string | null;
  ip: string | null;
  evidence: Record<string, unknown>;
  occurrences: number;
  detected_at: Date;
  last_seen_at: Date;
  status: 'open' | 'dismissed';
  dismissed_by: string | null;
  dismissed_at: Date | null;
}

const THREAT_COLUMNS = `org_id, id, type, severity, user_id, ip, evidence, occurrences, detected_at,
  last_seen_at, status, dismissed_by, dismissed_at`;

/** Serialises detections of one key (two workers seeing one burst raise one threat). */
export async function lockKey(sql: Sql, orgId: string, key: string): Promise<void> {
  await sql.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 20))', [`${orgId} ${key}`]);
}

/** Adds a detection to the key's threat last seen since `since`; null when there is none. */
export async function bumpThreat(
  sql: Sql,
  q: { key: string; since: Date; at: Date; evidence: Record<string, unknown> },
): Promise<ThreatRow | null> {
  const { rows } = await sql.query<ThreatRow>(
    `UPDATE security_threats SET occurrences = occurrences + 1, last_seen_at = greatest(last_seen_at, $3),
       evidence = $4
     WHERE org_id = bul_current_org() AND id = (
       SELECT id FROM security_threats WHERE org_id = bul_current_org() AND dedupe_key = $1
         AND last_seen_at >= $2 ORDER BY last_seen_at DESC LIMIT 1)
     RETURNING ${THREAT_COLUMNS}`,
    [q.key, q.since, q.at, JSON.stringify(q.evidence)],
  );
  return rows[0] ?? null;
}

export async function insertThreat(
  sql: Sql,
  t: {
    id: string;
    type: ThreatType;
    severity: Severity;
    userId: string | null;
    ip: string | null;
    key: string;
    evidence: Record<string, unknown>;
    at: Date;
  },
): Promise<ThreatRow> {
  const { rows } = await sql.query<ThreatRow>(
    `INSERT INTO security_threats (org_id, id, type, severity, user_id, ip, dedupe_key, evidence, detected_at, last_seen_at)
     VALUES (bul_current_org(), $1, $2, $3, $4, $5, $6, $7, $8, $8)
     RETURNING ${THREAT_COLUMNS}`,
    [t.id, t.type, t.severity, t.userId, t.ip, t.key, JSON.stringify(t.evidence), t.at],
  );
  return rows[0]!;
}

export interface ThreatFilter {
  type?: string;
  severity?: string;
  status?: string;
  userId?: string;
  from?: Date;
  to?: Date;
  cursor: { at: string; id: string } | null;
  limit: number;
}

export async function listThreats(sql: Sql, f: ThreatFilter): Promise<ThreatRow[]> {
  const { rows } = await sql.query<ThreatRow>(
    `SELECT ${THREAT_COLUMNS} FROM security_threats
     WHERE org_id = bul_current_org()
       AND ($1::text IS NULL OR type = $1) AND ($2::text IS NULL OR severity = $2)
       AND ($3::text IS NULL OR status = $3) AND ($4::uuid IS NULL OR user_id = $4)
       AND ($5::timestamptz IS NULL OR detected_at >= $5) AND ($6::timestamptz IS NULL OR detected_at < $6)
       AND ($7::timestamptz IS NULL OR (detected_at, id) < ($7, $8::uuid))
     ORDER BY detected_at DESC, id DESC LIMIT $9`,
    [
      f.type ?? null,
      f.severity ?? null,
      f.status ?? null,
      f.userId ?? null,
      f.from ?? null,
      f.to ?? null,
      f.cursor?.at ?? null,
      f.cursor?.id ?? null,
      f.limit + 1,
    ],
  );
  return rows;
}

export async function getThreat(sql: Sql, id: string): Promise<ThreatRow | null> {
  const { rows } = await sql.query<ThreatRow>(
    `SELECT ${THREAT_COLUMNS} FROM security_threats WHERE org_id = bul_current_org() AND id = $1`,
    [id],
  );
  return rows[0] ?? null;
}

export async function dismissThreat(sql: Sql, id: string, userId: string): Promise<ThreatRow | null> {
  const { rows } = await sql.query<ThreatRow>(
    `UPDATE security_threats SET status = 'dismissed', dismissed_by = $2, dismissed_at = now()
     WHERE org_id = bul_current_org() AND id = $1 AND status = 'open'
     RETURNING ${THREAT_COLUMNS}`,
    [id, userId],
  );
  return rows[0] ?? null;
}

// ---- failed logins ------------------------------------------------------------------------------

export async function insertLoginFailure(
  sql: Sql,
  f: {
    id: string;
    at: Date;
    email: string;
    userId: string | null;
    ip: string;
    userAgent: string | null;
    reason: string;
    lockedForSeconds: number;
  },
): Promise<void> {
  await sql.query(
    `INSERT INTO security_login_failures (org_id, id, at, email, user_id, ip, user_agent, reason, locked_for_seconds)
     VALUES (bul_current_org(), $1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      f.id,
      f.at,
      f.email,
      f.userId,
      f.ip,
      f.userAgent?.slice(0, 500) ?? null,
      f.reason.slice(0, 100),
      f.lockedForSeconds > 0 ? f.lockedForSeconds : null,
    ],
  );
}

/** Failed logins from one IP since `since`, every organization's (counts only). */
export async function ipFailures(sql: Sql, ip: string, since: Date) {
  const { rows } = await sql.query<{ failures: string; accounts: string }>(
    'SELECT failures, accounts FROM bul_security_ip_failures($1, $2)',
    [ip, since],
  );
  return { failures: Number(rows[0]?.failures ?? 0), accounts: Number(rows[0]?.accounts ?? 0) };
}

/** Failed logins on one e-mail since `since`, every organization's (counts only). */
export async function accountFailures(sql: Sql, email: string, since: Date) {
  const { rows } = await sql.query<{ failures: string; ips: string }>(
    'SELECT failures, ips FROM bul_security_account_failures($1, $2)',
    [email, since],
  );
  return { failures: Number(rows[0]?.failures ?? 0), ips: Number(rows[0]?.ips ?? 0) };
}

// ---- login origins ------------------------------------------------------------------------------

export async function knownOrigins(sql: Sql, userId: string): Promise<{ kind: string; value: string }[]> {
  const { rows } = await sql.query<{ kind: string; value: string }>(
    'SELECT kind, value FROM security_login_origins WHERE org_id = bul_current_org() AND user_id = $1',
    [userId],
  );
  return rows;
}

export async function upsertOrigins(
  sql: Sql,
  userId: string,
  origins: { kind: 'network' | 'country' | 'device'; value: string }[],
  at: Date,
): Promise<void> {
  if (origins.length === 0) return;
  await sql.query(
    `INSERT INTO security_login_origins (org_id, user_id, kind, value, first_seen_at, last_seen_at)
     SELECT bul_current_org(), $1, o->>'kind', o->>'value', $3, $3 FROM jsonb_array_elements($2::jsonb) o
     ON CONFLICT (org_id, user_id, kind, value) DO UPDATE
       SET last_seen_at = greatest(security_login_origins.last_seen_at, EXCLUDED.last_seen_at),
           logins = security_login_origins.logins + 1`,
    [userId, JSON.stringify(origins), at],
  );
}

export interface LastLoginRow {
  at: Date;
  ip: string;
  country: string | null;
  latitude: number | null;
  longitude: number | null;
}

export async function lastLogin(sql: Sql, userId: string): Promise<LastLoginRow | null> {
  const { rows } = await sql.query<LastLoginRow>(
    `SELECT at, ip, country, latitude, longitude FROM security_last_logins
     WHERE org_id = bul_current_org() AND user_id = $1`,
    [userId],
  );
  return rows[0] ?? null;
}

export async function saveLastLogin(sql: Sql, userId: string, l: LastLoginRow): Promise<void> {
  await sql.query(
    `INSERT INTO security_last_logins (org_id, user_id, at, ip, country, latitude, longitude)
     VALUES (bul_current_org(), $1, $2, $3, $4, $5, $6)
     ON CONFLICT (org_id, user_id) DO UPDATE SET at = EXCLUDED.at, ip = EXCLUDED.ip,
       country = EXCLUDED.country, latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude
     WHERE security_last_logins.at <= EXCLUDED.at`,
    [userId, l.at, l.ip, l.country, l.latitude, l.longitude],
  );
}

// ---- API key networks ---------------------------------------------------------------------------

/** Records the network; answers whether it is new and how many the key had before. */
export async function noteApiKeyNetwork(
  sql: Sql,
  apiKeyId: string,
  network: string,
  at: Date,
): Promise<{ isNew: boolean; known: number }> {
  const { rows } = await sql.query<{ inserted: boolean; known: string }>(
    `WITH known AS (
       SELECT count(*) AS n FROM security_api_key_networks WHERE org_id = bul_current_org() AND api_key_id = $1),
     up AS (
       INSERT INTO security_api_key_networks (org_id, api_key_id, network, first_seen_at, last_seen_at)
       VALUES (bul_current_org(), $1, $2, $3, $3)
       ON CONFLICT (org_id, api_key_id, network) DO UPDATE
         SET last_seen_at = greatest(security_api_key_networks.last_seen_at, EXCLUDED.last_seen_at)
       RETURNING (xmax = 0) AS inserted)
     SELECT up.inserted, known.n AS known FROM up, known`,
    [apiKeyId, network, at],
  );
  return { isNew: rows[0]?.inserted ?? false, known: Number(rows[0]?.known ?? 0) };
}

// ---- user actions -------------------------------------------------------------------------------

/** Records a delete or export by a user; answers how many of that kind they made since `since`. */
export async function noteUserAction(
  sql: Sql,
  a: { id: string; userId: string; kind: 'delete' | 'export'; resourceType: string; at: Date; since: Date },
): Promise<number> {
  await sql.query(
    `INSERT INTO security_user_actions (org_id, id, user_id, kind, resource_type, at)
     VALUES (bul_current_org(), $1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
    [a.id, a.userId, a.kind, a.resourceType, a.at],
  );
  const { rows } = await sql.query<{ n: string }>(
    `SELECT count(*) AS n FROM security_user_actions
     WHERE org_id = bul_current_org() AND user_id = $1 AND kind = $2 AND at >= $3 AND at <= $4`,
    [a.userId, a.kind, a.since, a.at],
  );
  return Number(rows[0]?.n ?? 0);
}

export async function purge(sql: Sql, before: Date): Promise<number> {
  const { rows } = await sql.query<{ n: string }>('SELECT bul_security_purge($1) AS n', [before]);
  return Number(rows[0]?.n ?? 0);
}

// ---- dashboard ----------------------------------------------------------------------------------

export async function threatCounts(sql: Sql, since: Date) {
  const { rows } = await sql.query<{ type: ThreatType; severity: Severity; n: string }>(
    `SELECT type, severity, count(*) AS n FROM security_threats
     WHERE org_id = bul_current_org() AND detected_at >= $1 GROUP BY type, severity`,
    [since],
  );
  return rows.map((r) => ({ type: r.type, severity: r.severity, count: Number(r.n) }));
}

export async function failureCounts(sql: Sql, since: Date) {
  const { rows } = await sql.query<{ failures: string; lockouts: string }>(
    `SELECT count(*) AS failures, count(*) FILTER (WHERE locked_for_seconds IS NOT NULL) AS lockouts
     FROM security_login_failures WHERE org_id = bul_current_org() AND at >= $1`,
    [since],
  );
  return { failedLogins: Number(rows[0]?.failures ?? 0), lockouts: Number(rows[0]?.lockouts ?? 0) };
}

export async function topIps(sql: Sql, since: Date, limit: number) {
  const { rows } = await sql.query<{ ip: string; failures: string; accounts: string; last_at: Date }>(
    `SELECT ip, count(*) AS failures, count(DISTINCT lower(email)) AS accounts, max(at) AS last_at
     FROM security_login_failures WHERE org_id = bul_current_org() AND at >= $1
     GROUP BY ip ORDER BY count(*) DESC, ip LIMIT $2`,
    [since, limit],
  );
  return rows.map((r) => ({
    ip: r.ip,
    failedLogins: Number(r.failures),
    accounts: Number(r.accounts),
    lastAt: r.last_at.toISOString(),
  }));
}

export async function accountStats(sql: Sql) {
  const { rows } = await sql.query<{ members: string; members_with_mfa: string; active_sessions: string }>(
    'SELECT members, members_with_mfa, active_sessions FROM bul_security_account_stats()',
  );
  return {
    members: Number(rows[0]?.members ?? 0),
    withMfa: Number(rows[0]?.members_with_mfa ?? 0),
    activeSessions: Number(rows[0]?.active_sessions ?? 0),
  };
}

export async function openThreats(sql: Sql): Promise<number> {
  const { rows } = await sql.query<{ n: string }>(
    `SELECT count(*) AS n FROM security_threats WHERE org_id = bul_current_org() AND status = 'open'`,
  );
  return Number(rows[0]?.n ?? 0);
}

/** Installation totals (every organization and the platform): counts only, super admins only. */
export async function installationTotals(sql: Sql, since: Date) {
  const { rows } = await sql.query<Record<string, string>>(
    `SELECT failed_logins, lockouts, threats_low, threats_medium, threats_high, threats_critical, open_threats
     FROM bul_security_totals($1)`,
    [since],
  );
  const n = (k: string) => Number(rows[0]?.[k] ?? 0);
  return {
    failedLogins: n('failed_logins'),
    lockouts: n('lockouts'),
    bySeverity: {
      low: n('threats_low'),
      medium: n('threats_medium'),
      high: n('threats_high'),
      critical: n('threats_critical'),
    } satisfies Record<Severity, number>,
    openThreats: n('open_threats'),
  };
}
