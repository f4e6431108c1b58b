import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRONG_PASSWORD } from './support/constants.ts';
import {
  createTestApp,
  login,
  signUp,
  type TestApp,
  uniqueEmail,
  uniqueSubdomain,
} from './support/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe('register, login, me', () => {
  it('registers a user with an organization and makes them its org_admin', async () => {
    const email = uniqueEmail();
    const sub = uniqueSubdomain();
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: {
        email,
        password: STRONG_PASSWORD,
        name: 'Ana',
        organization: { name: 'Acme', subdomain: sub },
      },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().organization.subdomain).toBe(sub);
    const s = await login(t, email);
    const me = await t.request({ method: 'GET', url: '/api/v1/auth/me', headers: s.headers });
    expect(me.statusCode).toBe(200);
    expect(me.json().role.key).toBe('org_admin');
    expect(me.json().permissions).toContain('members:invite');
    expect(me.json().permissions).not.toContain('platform:admin');
  });

  it('answers 401 invalid-credentials for a wrong password without saying which part was wrong', async () => {
    const s = await signUp(t);
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: s.email, password: 'wrong-password-123' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().type).toBe('urn:bul:error:invalid-credentials');
    const unknown = await t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: uniqueEmail(), password: 'wrong-password-123' },
    });
    expect(unknown.json().detail).toBe(res.json().detail);
  });
});

describe('what threat detection costs the login path', () => {
  /**
   * The statements the app sends while `work` runs, each with the connection that sent it: the audit
   * sealer can seal on another connection in between. Marked `queued:` when sent while its connection
   * was still busy (pg deprecates that).
   */
  async function statementsByClient(
    work: () => Promise<unknown>,
  ): Promise<{ text: string; client: pg.Client }[]> {
    const sent: { text: string; client: pg.Client }[] = [];
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const q = args[0];
      const text = typeof q === 'string' ? q : String((q as { text?: string }).text ?? '');
      const own = this as unknown as { _activeQuery: unknown; _queryQueue: unknown[] };
      sent.push({
        text: own._activeQuery || own._queryQueue.length > 0 ? `queued: ${text}` : text,
        client: this,
      });
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    try {
      await work();
    } finally {
      pg.Client.prototype.query = query;
    }
    return sent;
  }
  async function statements(work: () => Promise<unknown>): Promise<string[]> {
    return (await statementsByClient(work)).map((s) => s.text);
  }
  const detector = /security_login_failures|bul_security_/;

  it('a successful login sends no detector query (its login event rides in bul_start_login_session)', async () => {
    const s = await signUp(t);
    const sent = await statements(() => login(t, s.email));
    expect(sent.filter((q) => detector.test(q))).toEqual([]);
    expect(sent.filter((q) => q.includes('bul_start_login_session'))).toHaveLength(1);
  });

  it('a wrong password costs one more transaction: the failure inserted, then the two cross-organization counts, one after the other', async () => {
    const s = await signUp(t);
    const all = await statementsByClient(() =>
      t.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: s.email, password: 'wrong-1' },
      }),
    );
    // Only the connection that wrote the failure: what the sealer sends on its own connection meanwhile is not the login path.
    const writer = all.find((q) => q.text.includes('INSERT INTO security_login_failures'))?.client;
    expect(writer).toBeDefined();
    const sent = all.filter((q) => q.client === writer).map((q) => q.text);
    const at = sent.findIndex((q) => q.includes('INSERT INTO security_login_failures'));
    expect(at).toBeGreaterThan(0);
    expect(sent[at - 1]).toMatch(/^BEGIN; SELECT set_config\('app.org_id'/);
    expect(sent.slice(at + 1, at + 4)).toEqual([
      expect.stringMatching(/^SELECT .*bul_security_ip_failures/),
      expect.stringMatching(/^SELECT .*bul_security_account_failures/),
      'COMMIT',
    ]);
  });
});
