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
