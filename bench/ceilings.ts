// The ceilings BUL's request rates are compared with: the one database round trip each request
// cannot do without, from a bare `node:http` server through the same driver and role. Shared by the
// foundation (servers.ts), work (work-servers.ts) and deployed (deployed-servers.ts) suites.
import http from 'node:http';
import type pg from 'pg';
import { v7 } from 'uuid';

/** `/auth/me`'s ceiling: as light as a server can be, a primary-key read of a small table. */
export const PK_READ_SQL = 'SELECT id, name, max_users FROM plans WHERE id = $1';
export const PK_READ_PARAMS = ['enterprise'];

/** The INSERT `POST /api/v1/tasks` runs (src/modules/work/task-store.ts), with its defaults. */
export const TASK_INSERT_SQL = `INSERT INTO tasks AS t (org_id, id, project_id, title, description, assignee_id, priority, status,
  tags, due_date, estimate_minutes, completed_at, created_by)
  VALUES ($1, $2, $3, $4, '', NULL, 'medium', 'pending', '{}', NULL, NULL, NULL, $5) RETURNING t.*`;

/** The task INSERT's parameters: a new id each time, in `projectId` of `orgId`, by `userId`. */
export const taskInsertParams = (ids: { orgId: string; projectId: string; userId: string }) => [
  ids.orgId,
  v7(),
  ids.projectId,
  'Ceiling task',
  ids.userId,
];

/**
 * A ceiling server: each request runs the query `route` picks for its URL (one round trip) and
 * answers the rows as JSON, 201 for a POST. The pool's connections must already act for the
 * organization (session-level `app.org_id`) where the query needs it.
 */
export function ceilingServer(
  pool: pg.Pool,
  route: (url: string) => { sql: string; params: unknown[] },
): http.Server {
  return http.createServer((req, res) => {
    const { sql, params } = route(req.url ?? '/');
    pool
      .query(sql, params)
      .then((r) => {
        res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ items: r.rows }));
      })
      .catch((err: Error) => {
        res.writeHead(500);
        res.end(err.message);
      });
  });
}
