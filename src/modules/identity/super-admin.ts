// Granting the platform super-admin flag: the one write the application role cannot do. Used by
// `bul admin create` on the owner connection; recorded in the platform audit chain.

import { newId, PLATFORM_ORG_ID } from '../../platform/db/ids.ts';
import type { Sql } from '../../platform/db/transaction.ts';

export async function grantSuperAdmin(
  owner: Sql,
  u: { id: string; email: string; name: string; passwordHash: string | null },
): Promise<{ userId: string; created: boolean }> {
  await owner.query('BEGIN');
  try {
    const existing = await owner.query<{ id: string }>(
      'SELECT id FROM users WHERE lower(email) = lower($1) FOR UPDATE',
      [u.email],
    );
    let userId = existing.rows[0]?.id;
    const created = !userId;
    if (userId) {
      await owner.query('UPDATE users SET is_super_admin = true WHERE id = $1', [userId]);
    } else {
      userId = u.id;
      await owner.query(
        `INSERT INTO users (id, email, name, password_hash, is_super_admin, password_changed_at)
         VALUES ($1, lower($2), $3, $4, true, now())`,
        [u.id, u.email, u.name, u.passwordHash],
      );
    }
    await owner.query(
      `INSERT INTO audit_events (org_id, id, seq, created_at, actor_type, actor_label, action, resource_type, resource_id, metadata, prev_hash, hash)
       VALUES ($1, $2, 0, now(), 'system', 'bul admin create', 'platform.super_admin_grant', 'user', $3, $4, '', '')`,
      [PLATFORM_ORG_ID, newId(), userId, JSON.stringify({ email: u.email.toLowerCase(), created })],
    );
    await owner.query('COMMIT');
    return { userId, created };
  } catch (err) {
    await owner.query('ROLLBACK');
    throw err;
  }
}
