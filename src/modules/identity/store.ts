// SQL of the identity module: users, sessions, refresh tokens, MFA recovery codes, API keys,
// signing keys. Lookups that must happen before a tenant or user context exists go through the
// narrow SECURITY DEFINER functions of migration 0001.
import type { Sql } from '../../platform/db/transaction.ts';
import type { UserOrganizationRow } from '../tenancy/service.ts';

export interface UserRow {
  id: string;
  email: string;
  name: string;
  password_hash: string | null;
  status: 'active' | 'disabled';
  is_super_admin: boolean;
  mfa_enabled: boolean;
  mfa_secret_sealed: string | null;
  mfa_pending_secret_sealed: string | null;
  mfa_last_time_step: number | null;
  locale: string | null;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export type LoginRow = Pick<
  UserRow,
  'id' | 'email' | 'name' | 'password_hash' | 'status' | 'is_super_admin' | 'mfa_enabled' | 'locale'
> & {
  organizations: UserOrganizationRow[];
};

export async function loginLookup(sql: Sql, email: string): Promise<LoginRow | null> {
  const { rows } = await sql.query<LoginRow>({
    name: 'bul_login_lookup',
    text: 'SELECT * FROM bul_login_lookup($1)',
    values: [email],
  });
  return rows[0] ?? null;
}

export async function insertUser(
  sql: Sql,
  u: { id: string; email: string; name: string; passwordHash: string; locale?: string | null },
): Promise<UserRow> {
  const { rows } = await sql.query<UserRow>(
    `INSERT INTO users (id, email, name, password_hash, locale, password_changed_at)
     VALUES ($1, lower($2), $3, $4, $5, now()) RETURNING *`,
    [u.id, u.email, u.name, u.passwordHash, u.locale ?? null],
  );
  return rows[0]!;
}

export async function getUser(sql: Sql, id: string): Promise<UserRow | null> {
  const { rows } = await sql.query<UserRow>('SELECT * FROM users WHERE id = $1', [id]);
  return rows[0] ?? null;
}

export async function lockUser(sql: Sql, id: string): Promise<UserRow | null> {
  const { rows } = await sql.query<UserRow>('SELECT * FROM users WHERE id = $1 FOR UPDATE', [id]);
  return rows[0] ?? null;
}

export async function updateUser(
  sql: Sql,
  id: string,
  fields: Partial<{
    name: string;
    locale: string | null;
    password_hash: string;
    password_changed_at: Date;
    last_login_at: Date;
    mfa_enabled: boolean;
    mfa_secret_sealed: string | null;
    mfa_pending_secret_sealed: string | null;
    mfa_last_time_step: number | null;
  }>,
): Promise<UserRow | null> {
  const keys = Object.keys(fields) as (keyof typeof fields)[];
  if (keys.length === 0) return getUser(sql, id);
  const sets = keys.map((k, i) => `${k} = $${i + 2}`);
  const { rows } = await sql.query<UserRow>(`UPDATE users SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, [
    id,
    ...keys.map((k) => fields[k]),
  ]);
  return rows[0] ?? null;
}

// ---- sessions -------------------------------------------------------------------------------

export interface SessionRow {
  id: string;
  user_id: string;
  org_id: string | null;
  kind: 'cookie' | 'token';
  cookie_hash: string | null;
  csrf_hash: string | null;
  mfa_verified: boolean;
  ip: string | null;
  user_agent: string | null;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_reason: string | null;
}

/**
 * A successful login's writes in one statement, as its own transaction (migration 0020's
 * bul_start_login_session, which sets the tenant context itself): the session, its first refresh
 * token (token sessions), the user's last-login time, the `auth.login` audit event, whose actor
 * is the user (labelled with `email`), and the domain event `security.login_succeeded` (id
 * `loginEventId`; logins into an organization only). Pass the pool, never a transaction.
 */
export async function startLoginSession(
  pool: Sql,
  s: Pick<
    SessionRow,
    | 'id'
    | 'user_id'
    | 'org_id'
    | 'kind'
    | 'cookie_hash'
    | 'csrf_hash'
    | 'mfa_verified'
    | 'ip'
    | 'user_agent'
    | 'expires_at'
  >,
  email: string,
  refresh: { id: string; tokenHash: string } | null,
  event: { id: string; metadata: Record<string, unknown>; requestId: string | null },
  loginEventId: string,
): Promise<void> {
  await pool.query({
    name: 'bul_start_login_session',
    text: 'SELECT bul_start_login_session($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)',
    values: [
      s.id,
      s.user_id,
      email,
      s.org_id,
      s.kind,
      s.cookie_hash,
      s.csrf_hash,
      s.mfa_verified,
      s.ip,
      s.user_agent,
      s.expires_at,
      refresh?.id ?? null,
      refresh?.tokenHash ?? null,
      event.id,
      JSON.stringify(event.metadata),
      event.requestId,
      loginEventId,
    ],
  });
}

export async function lockSession(sql: Sql, id: string): Promise<SessionRow | null> {
  const { rows } = await sql.query<SessionRow>('SELECT * FROM sessions WHERE id = $1 FOR UPDATE', [id]);
  return rows[0] ?? null;
}

export async function listSessions(sql: Sql, userId: string): Promise<SessionRow[]> {
  const { rows } = await sql.query<SessionRow>(
    `SELECT * FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
     ORDER BY last_seen_at DESC, id DESC LIMIT 500`,
    [userId],
  );
  return rows;
}

export async function revokeSession(sql: Sql, id: string, reason: string): Promise<SessionRow | null> {
  const { rows } = await sql.query<SessionRow>(
    `UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING *`,
    [id, reason],
  );
  return rows[0] ?? null;
}

export async function revokeOtherSessions(
  sql: Sql,
  userId: string,
  keep: string | null,
  reason: string,
): Promise<number> {
  const { rowCount } = await sql.query(
    `UPDATE sessions SET revoked_at = now(), revoked_reason = $3
     WHERE user_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR id <> $2)`,
    [userId, keep, reason],
  );
  return rowCount ?? 0;
}

export async function setSessionOrg(sql: Sql, id: string, orgId: string): Promise<void> {
  await sql.query('UPDATE sessions SET org_id = $2 WHERE id = $1', [id, orgId]);
}

/** Marks a session as used; called at most once a minute per session. */
export async function touchSession(sql: Sql, id: string): Promise<void> {
  await sql.query('UPDATE sessions SET last_seen_at = now() WHERE id = $1', [id]);
}

// ---- refresh tokens ---------------------------------------------------------------------------

export async function refreshTokenOwner(
  sql: Sql,
  tokenHash: string,
): Promise<{ user_id: string; session_id: string; org_id: string | null } | null> {
  const { rows } = await sql.query<{ user_id: string; session_id: string; org_id: string | null }>(
    'SELECT * FROM bul_refresh_token_owner($1)',
    [tokenHash],
  );
  return rows[0] ?? null;
}

export async function insertRefreshToken(
  sql: Sql,
  t: {
    id: string;
    sessionId: string;
    userId: string;
    tokenHash: string;
    parentId: string | null;
    expiresAt: Date;
  },
): Promise<void> {
  await sql.query(
    `INSERT INTO refresh_tokens (id, session_id, user_id, token_hash, parent_id, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [t.id, t.sessionId, t.userId, t.tokenHash, t.parentId, t.expiresAt],
  );
}

/** Spends a refresh token once; null when it was already spent (reuse) or is unknown. */
export async function spendRefreshToken(
  sql: Sql,
  tokenHash: string,
): Promise<{ id: string; expires_at: Date } | null> {
  const { rows } = await sql.query<{ id: string; expires_at: Date }>(
    'UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL RETURNING id, expires_at',
    [tokenHash],
  );
  return rows[0] ?? null;
}

// ---- MFA recovery codes -----------------------------------------------------------------------

export async function replaceRecoveryCodes(
  sql: Sql,
  userId: string,
  codes: { id: string; hash: string }[],
): Promise<void> {
  await sql.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId]);
  await sql.query(
    `INSERT INTO mfa_recovery_codes (id, user_id, code_hash)
     SELECT unnest($2::uuid[]), $1, unnest($3::text[])`,
    [userId, codes.map((c) => c.id), codes.map((c) => c.hash)],
  );
}

export async function spendRecoveryCode(sql: Sql, userId: string, codeHash: string): Promise<boolean> {
  const { rowCount } = await sql.query(
    'UPDATE mfa_recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL',
    [userId, codeHash],
  );
  return (rowCount ?? 0) > 0;
}

export async function countRecoveryCodes(sql: Sql, userId: string): Promise<number> {
  const { rows } = await sql.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL',
    [userId],
  );
  return rows[0]?.n ?? 0;
}

export async function deleteRecoveryCodes(sql: Sql, userId: string): Promise<void> {
  await sql.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId]);
}

// ---- API keys ---------------------------------------------------------------------------------

export interface ApiKeyRow {
  org_id: string;
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  scopes: string[];
  expires_at: Date | null;
  last_used_at: Date | null;
  last_used_ip: string | null;
  revoked_at: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

const API_KEY_COLUMNS =
  'org_id, id, user_id, name, prefix, scopes, expires_at, last_used_at, last_used_ip, revoked_at, created_at, updated_at, version';

export async function insertApiKey(
  sql: Sql,
  k: {
    orgId: string;
    id: string;
    userId: string;
    name: string;
    prefix: string;
    keyHash: string;
    scopes: string[];
    expiresAt: Date | null;
  },
): Promise<ApiKeyRow> {
  const { rows } = await sql.query<ApiKeyRow>(
    `INSERT INTO api_keys (org_id, id, user_id, name, prefix, key_hash, scopes, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${API_KEY_COLUMNS}`,
    [k.orgId, k.id, k.userId, k.name, k.prefix, k.keyHash, k.scopes, k.expiresAt],
  );
  return rows[0]!;
}

export async function listApiKeys(
  sql: Sql,
  f: { userId?: string; afterId?: string; limit: number },
): Promise<ApiKeyRow[]> {
  const { rows } = await sql.query<ApiKeyRow>(
    `SELECT ${API_KEY_COLUMNS} FROM api_keys
     WHERE ($1::uuid IS NULL OR user_id = $1) AND ($2::uuid IS NULL OR id < $2)
     ORDER BY id DESC LIMIT $3`,
    [f.userId ?? null, f.afterId ?? null, f.limit + 1],
  );
  return rows;
}

export async function getApiKey(sql: Sql, id: string): Promise<ApiKeyRow | null> {
  const { rows } = await sql.query<ApiKeyRow>(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

export async function revokeApiKey(sql: Sql, id: string): Promise<ApiKeyRow | null> {
  const { rows } = await sql.query<ApiKeyRow>(
    `UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING ${API_KEY_COLUMNS}`,
    [id],
  );
  return rows[0] ?? null;
}

export async function touchApiKey(sql: Sql, id: string, ip: string): Promise<void> {
  await sql.query('SELECT bul_touch_api_key($1, $2)', [id, ip]);
}

// ---- per-request authentication payloads -------------------------------------------------------
// These run on every authenticated request: named statements are parsed and planned once per
// connection instead of on each call.

export async function authBySession(
  sql: Sql,
  sessionId: string,
  userId: string,
  orgId: string | null,
): Promise<unknown> {
  const { rows } = await sql.query<{ p: unknown }>({
    name: 'bul_auth_by_session',
    text: 'SELECT bul_auth_by_session($1, $2, $3) AS p',
    values: [sessionId, userId, orgId],
  });
  return rows[0]?.p ?? null;
}

export async function authByCookie(sql: Sql, cookieHash: string, orgId: string | null): Promise<unknown> {
  const { rows } = await sql.query<{ p: unknown }>({
    name: 'bul_auth_by_cookie',
    text: 'SELECT bul_auth_by_cookie($1, $2) AS p',
    values: [cookieHash, orgId],
  });
  return rows[0]?.p ?? null;
}

export async function authByApiKey(sql: Sql, keyHash: string): Promise<unknown> {
  const { rows } = await sql.query<{ p: unknown }>({
    name: 'bul_auth_by_api_key',
    text: 'SELECT bul_auth_by_api_key($1) AS p',
    values: [keyHash],
  });
  return rows[0]?.p ?? null;
}

// ---- signing keys -----------------------------------------------------------------------------

export interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: Record<string, unknown>;
  private_sealed: string;
  created_at: Date;
  retire_at: Date;
  expires_at: Date;
}

export async function liveSigningKeys(sql: Sql): Promise<SigningKeyRow[]> {
  const { rows } = await sql.query<SigningKeyRow>(
    'SELECT * FROM signing_keys WHERE expires_at > now() ORDER BY created_at DESC',
  );
  return rows;
}

export async function insertSigningKey(sql: Sql, k: Omit<SigningKeyRow, 'created_at'>): Promise<void> {
  await sql.query(
    'INSERT INTO signing_keys (kid, alg, public_jwk, private_sealed, retire_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
    [k.kid, k.alg, JSON.stringify(k.public_jwk), k.private_sealed, k.retire_at, k.expires_at],
  );
}
