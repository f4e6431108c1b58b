// Request and row helpers for API tests: call the API as a session, and read rows as the owner to
// prove that a refused request changed nothing. Bound late (getters), since apps are built in beforeAll.
import { expect } from 'vitest';
import type { Session, TestApp } from './test-app.ts';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

export interface AuditItem {
  action: string;
  actor: { id: string | null };
  changes: Record<string, { before: unknown; after: unknown }> | null;
  metadata: Record<string, unknown> | null;
}

export function apiHelpers(app: () => TestApp, admin: () => Session) {
  /** `/api/v1${url}` as the session, with a JSON payload and extra headers. */
  function api(
    s: Session,
    method: Method,
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) {
    return app().request({
      method,
      url: `/api/v1${url}`,
      headers: { ...s.headers, ...headers },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  }

  /** The whole row as JSON text (undefined when gone): equal before and after = unchanged. */
  async function rowOf(table: string, id: string): Promise<string | undefined> {
    const { rows } = await app().owner<{ row: string }>(
      `SELECT to_jsonb(x)::text AS row FROM ${table} x WHERE id = $1`,
      [id],
    );
    return rows[0]?.row;
  }

  /** Rows of the admin's organization in `table` matching `where`. */
  async function countOf(table: string, where = 'true', params: unknown[] = []): Promise<number> {
    const { rows } = await app().owner<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${table} WHERE org_id = $1 AND ${where}`,
      [admin().orgId, ...params],
    );
    return rows[0]!.n;
  }

  /** The audit events of one resource, oldest first, as the admin reads them through the API. */
  async function auditTrail(resourceType: string, resourceId: string): Promise<AuditItem[]> {
    const res = await api(
      admin(),
      'GET',
      `/audit/search?resource_type=${resourceType}&resource_id=${resourceId}&limit=200`,
    );
    expect(res.statusCode, res.body).toBe(200);
    return (res.json().items as AuditItem[]).reverse();
  }

  return { api, rowOf, countOf, auditTrail };
}
