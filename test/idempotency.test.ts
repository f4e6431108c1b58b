import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let admin: Session;
beforeAll(async () => {
  t = await createTestApp();
  admin = await signUp(t);
});
afterAll(async () => {
  await t?.close();
});

const countDepartments = async (name: string) =>
  (await t.owner<{ n: number }>('SELECT count(*)::int AS n FROM departments WHERE name = $1', [name]))
    .rows[0]!.n;

describe('Idempotency-Key on POST', () => {
  it('runs the first request once and replays its response to retries', async () => {
    const post = () =>
      t.request({
        method: 'POST',
        url: '/api/v1/departments',
        headers: { ...admin.headers, 'idempotency-key': 'create-sales-1' },
        payload: { name: 'Sales' },
      });
    const first = await post();
    expect(first.statusCode).toBe(201);
    const again = await post();
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await countDepartments('Sales')).toBe(1);
  });

  it('keeps the answer sealed: a key shown once is replayed but never stored in the clear', async () => {
    const post = () =>
      t.request({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: { ...admin.headers, 'idempotency-key': 'create-key-1' },
        payload: { name: 'nightly', scopes: ['projects:read'] },
      });
    const first = await post();
    expect(first.statusCode, first.body).toBe(201);
    const secret = first.json().key as string;
    const { rows } = await t.owner<{ body: string }>(
      `SELECT body FROM idempotency_keys WHERE key = 'create-key-1'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.body).not.toContain(secret);
    expect(rows[0]!.body).not.toContain('nightly');
    const again = await post();
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().key).toBe(secret);
  });

  it('refuses the same key with a different body (422) and stores nothing', async () => {
    const headers = { ...admin.headers, 'idempotency-key': 'create-x' };
    expect(
      (await t.request({ method: 'POST', url: '/api/v1/departments', headers, payload: { name: 'X1' } }))
        .statusCode,
    ).toBe(201);
    const other = await t.request({
      method: 'POST',
      url: '/api/v1/departments',
      headers,
      payload: { name: 'X2' },
    });
    expect(other.statusCode).toBe(422);
    expect(other.json().type).toBe('urn:bul:error:idempotency-key-reused');
    expect(await countDepartments('X2')).toBe(0);
  });

  it('replays a 4xx outcome as well', async () => {
    const headers = { ...admin.headers, 'idempotency-key': 'bad-parent' };
    const payload = { name: 'Orphan', parentId: '01a209d0-0000-7000-8000-000000000000' };
    const first = await t.request({ method: 'POST', url: '/api/v1/departments', headers, payload });
    expect(first.statusCode).toBe(400);
    const again = await t.request({ method: 'POST', url: '/api/v1/departments', headers, payload });
    expect(again.statusCode).toBe(400);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('keeps keys per caller: another user may use the same key', async () => {
    const other = await signUp(t);
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/departments',
      headers: { ...other.headers, 'idempotency-key': 'create-sales-1' },
      payload: { name: 'Sales' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
  });

  it('rejects a malformed key (400 naming idempotency-key)', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/departments',
      headers: { ...admin.headers, 'idempotency-key': 'x'.repeat(256) },
      payload: { name: 'Long key' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('idempotency-key');
    expect(await countDepartments('Long key')).toBe(0);
  });
});
