// Db.snapshot: a read in several statements sees one committed state. A client committed by another
// connection between the two reads of a snapshot is not seen by the second (it is in a plain
// transaction, which is READ COMMITTED: the contrast proves the test can fail); and the snapshot
// writes nothing (a write in it is refused by PostgreSQL). The webhook delivery list and detail
// read through it (an attempt and its delivery's new status commit together).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../src/platform/db/transaction.ts';
import { createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let admin: Session;
let db: Db;

beforeAll(async () => {
  t = await createTestApp();
  admin = await signUp(t, { orgName: 'Snapshot Org' });
  db = new Db(t.pool);
});

afterAll(async () => {
  await t?.close();
});

async function createClient(name: string) {
  const res = await t.request({
    method: 'POST',
    url: '/api/v1/clients',
    headers: admin.headers,
    payload: { name },
  });
  expect(res.statusCode, res.body).toBe(201);
}

/** The organization's clients counted twice, with a client committed by the API in between. */
async function countAround(read: 'snapshot' | 'transaction', name: string) {
  return db[read]({ orgId: admin.orgId, userId: null }, async (tx) => {
    const count = async () =>
      Number((await tx.query<{ n: string }>('SELECT count(*) AS n FROM clients')).rows[0]!.n);
    const before = await count();
    await createClient(name);
    return { before, after: await count() };
  });
}

describe('Db.snapshot', () => {
  it('sees one committed state across its statements; a plain transaction sees the commit between them', async () => {
    const snap = await countAround('snapshot', 'Made during a snapshot');
    expect(snap.after).toBe(snap.before);
    const plain = await countAround('transaction', 'Made during a transaction');
    expect(plain.after).toBe(plain.before + 1);
  });

  it('acts for the organization (row-level security) and writes nothing', async () => {
    const other = await signUp(t, { orgName: 'Other Snapshot Org' });
    const names = await db.snapshot({ orgId: other.orgId, userId: null }, async (tx) =>
      (await tx.query<{ name: string }>('SELECT name FROM clients')).rows.map((r) => r.name),
    );
    expect(names).toEqual([]);
    await expect(
      db.snapshot({ orgId: admin.orgId, userId: null }, (tx) =>
        tx.query("UPDATE clients SET name = 'changed' WHERE org_id = $1", [admin.orgId]),
      ),
    ).rejects.toMatchObject({ code: '25006' });
    const { rows } = await t.owner("SELECT count(*)::int AS n FROM clients WHERE name = 'changed'");
    expect(rows[0]!.n).toBe(0);
  });
});
