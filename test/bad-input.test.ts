// "Bad input": every malformed, oversized, mistyped or hostile request gets a 4xx
// application/problem+json that names the field and rule, never a 500, never a stack trace or SQL,
// and leaves stored data unchanged; hostile-but-valid text is stored and returned verbatim.
import { randomUUID } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRONG_PASSWORD } from './support/constants.ts';
import {
  addMember,
  createTestApp,
  login,
  type Session,
  signUp,
  type TestApp,
  uniqueEmail,
  uniqueSubdomain,
} from './support/test-app.ts';

/** SQL and HTML metacharacters, quotes, backslashes, LIKE wildcards and non-ASCII text. */
const HOSTILE = `'; DROP TABLE users; -- <script>alert(1)</script> "\\ %_ \` $1 ü 😀`;
const JSON_CT = { 'content-type': 'application/json' };

let t: TestApp;
let admin: Session;

beforeAll(async () => {
  t = await createTestApp();
  admin = await signUp(t);
});
afterAll(async () => {
  await t?.close();
});

function send(opts: InjectOptions, s: Session | null = admin): Promise<LightMyRequestResponse> {
  return t.request({ ...opts, headers: { ...(s?.headers ?? {}), ...(opts.headers ?? {}) } });
}

/** Asserts no internals leak: no stack lines, no SQL, no file paths. */
function expectNoLeak(body: string): void {
  expect(body).not.toMatch(/\n\s*at /);
  expect(body).not.toMatch(/\bat .*\.(ts|js):\d+/);
  expect(body).not.toMatch(/\b(SELECT|INSERT|UPDATE|DELETE FROM)\b/);
  expect(body).not.toContain('node_modules');
  expect(body).not.toContain('/src/');
  expect(body).not.toMatch(/"stack"/);
}

/** A complete RFC 9457 problem document with the given status and catalogue code. */
function expectProblem(
  res: LightMyRequestResponse,
  status: number,
  code: string,
  field?: { field: string; rule?: string },
): { type: string; detail: string; errors?: { field: string; rule: string; in?: string }[] } {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body.type).toBe(`urn:bul:error:${code}`);
  expect(typeof body.title).toBe('string');
  expect(body.title.length).toBeGreaterThan(0);
  expect(body.status).toBe(status);
  expect(typeof body.detail).toBe('string');
  expect(body.instance).toBe(res.headers['x-request-id']);
  expectNoLeak(res.body);
  if (field) {
    const errors = (body.errors ?? []) as { field: string; rule: string }[];
    const match = errors.find((e) => e.field === field.field && (!field.rule || e.rule === field.rule));
    expect(match, `errors[] should name ${field.field}/${field.rule ?? '*'}: ${res.body}`).toBeDefined();
  }
  return body;
}

const TABLES = [
  'organizations',
  'users',
  'memberships',
  'roles',
  'departments',
  'invitations',
  'api_keys',
  'ip_rules',
  'sessions',
  'audit_events',
] as const;

async function rowCounts(): Promise<Record<string, number>> {
  const { rows } = await t.owner<{ name: string; n: string }>(
    TABLES.map((name) => `SELECT '${name}' AS name, count(*) AS n FROM ${name}`).join(' UNION ALL '),
  );
  return Object.fromEntries(rows.map((r) => [r.name, Number(r.n)]));
}

/** Runs `work` and asserts that no table gained or lost rows meanwhile. */
async function unchanged(work: () => Promise<void>): Promise<void> {
  const before = await rowCounts();
  await work();
  expect(await rowCounts()).toEqual(before);
}

// ------------------------------------------------------------------------------------------------

describe('bodies that cannot be read', () => {
  it('malformed JSON `{"name":` → 400 malformed-json, nothing stored', async () => {
    await unchanged(async () => {
      for (const payload of ['{"name":', '{name: "x"}', "{'name':'x'}", '{"name":"x",}', '\u0000']) {
        const res = await send({ method: 'POST', url: '/api/v1/departments', headers: JSON_CT, payload });
        expectProblem(res, 400, 'malformed-json');
      }
    });
  });

  it('empty body with content-type application/json on POST /departments → 400', async () => {
    await unchanged(async () => {
      const res = await send({ method: 'POST', url: '/api/v1/departments', headers: JSON_CT, payload: '' });
      expect(res.statusCode).toBe(400);
      expectProblem(res, 400, res.json().type.replace('urn:bul:error:', ''));
      expect(['urn:bul:error:malformed-json', 'urn:bul:error:validation-failed']).toContain(res.json().type);
    });
  });

  it('body larger than BODY_LIMIT (2kb) → 413 payload-too-large; a body under it still works', async () => {
    const small = await createTestApp({ BODY_LIMIT: '2kb' });
    try {
      const s = await signUp(small);
      const count = async () =>
        Number((await small.owner('SELECT count(*) AS n FROM departments')).rows[0]!.n as string);
      const res = await small.request({
        method: 'POST',
        url: '/api/v1/departments',
        headers: s.headers,
        payload: { name: 'Too big', description: 'x'.repeat(1900 * 2) },
      });
      expectProblem(res, 413, 'payload-too-large');
      expect(await count()).toBe(0);
      const fits = await small.request({
        method: 'POST',
        url: '/api/v1/departments',
        headers: s.headers,
        payload: { name: 'Fits', description: 'x'.repeat(1500) },
      });
      expect(fits.statusCode, fits.body).toBe(201);
      expect(await count()).toBe(1);
    } finally {
      await small.close();
    }
  });

  it('text/plain (and other non-JSON content types) → 415 unsupported-media-type, nothing stored', async () => {
    await unchanged(async () => {
      for (const [type, payload] of [
        ['text/plain', '{"name":"Plain"}'],
        ['text/plain; charset=utf-8', 'name=Plain'],
        ['application/x-www-form-urlencoded', 'name=Plain'],
        ['application/xml', '<department><name>Plain</name></department>'],
        [
          'multipart/form-data; boundary=x',
          '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nPlain\r\n--x--',
        ],
      ] as const) {
        const res = await send({
          method: 'POST',
          url: '/api/v1/departments',
          headers: { 'content-type': type },
          payload,
        });
        expectProblem(res, 415, 'unsupported-media-type');
      }
    });
  });

  it('prototype poisoning (__proto__, constructor.prototype) in a body → 400, never stored', async () => {
    await unchanged(async () => {
      for (const payload of [
        '{"name":"Poisoned","__proto__":{"isAdmin":true}}',
        '{"name":"Poisoned","constructor":{"prototype":{"isAdmin":true}}}',
        '{"name":"Poisoned","description":"d","parentId":null,"x":{"__proto__":{"isAdmin":true}}}',
      ]) {
        const res = await send({ method: 'POST', url: '/api/v1/departments', headers: JSON_CT, payload });
        expect(res.statusCode, res.body).toBe(400);
        expectProblem(res, 400, res.json().type.replace('urn:bul:error:', ''));
      }
      const reg = await send(
        {
          method: 'POST',
          url: '/api/v1/auth/register',
          headers: JSON_CT,
          payload: `{"email":"${uniqueEmail()}","password":"${STRONG_PASSWORD}","name":"P","organization":{"name":"P","subdomain":"${uniqueSubdomain()}","__proto__":{"planId":"enterprise"}}}`,
        },
        null,
      );
      expect(reg.statusCode, reg.body).toBe(400);
    });
    const { rows } = await t.owner("SELECT 1 FROM departments WHERE name = 'Poisoned'");
    expect(rows).toEqual([]);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });
});

// ------------------------------------------------------------------------------------------------

describe('schema violations name the field and the rule', () => {
  it('a number for a string (department name 123) → 400 rule type naming name', async () => {
    await unchanged(async () => {
      const res = await send({ method: 'POST', url: '/api/v1/departments', payload: { name: 123 } });
      const body = expectProblem(res, 400, 'validation-failed', { field: 'name', rule: 'type' });
      expect(body.errors![0]!.in).toBe('body');
      const nested = await send(
        {
          method: 'POST',
          url: '/api/v1/auth/register',
          payload: {
            email: uniqueEmail(),
            password: STRONG_PASSWORD,
            name: 'N',
            organization: { name: ['not', 'a', 'string'], subdomain: uniqueSubdomain() },
          },
        },
        null,
      );
      expectProblem(nested, 400, 'validation-failed', { field: 'organization.name', rule: 'type' });
      const bool = await send({
        method: 'PATCH',
        url: '/api/v1/organization',
        payload: { requireMfa: 'yes' },
      });
      expectProblem(bool, 400, 'validation-failed', { field: 'requireMfa', rule: 'type' });
    });
  });

  it('missing required fields → 400 rule required naming each field', async () => {
    await unchanged(async () => {
      const res = await send({
        method: 'POST',
        url: '/api/v1/departments',
        payload: { description: 'no name' },
      });
      expectProblem(res, 400, 'validation-failed', { field: 'name', rule: 'required' });
      const inv = await send({ method: 'POST', url: '/api/v1/invitations', payload: {} });
      expectProblem(inv, 400, 'validation-failed', { field: 'email', rule: 'required' });
      expectProblem(inv, 400, 'validation-failed', { field: 'roleId', rule: 'required' });
      const reg = await send(
        {
          method: 'POST',
          url: '/api/v1/auth/register',
          payload: {
            email: uniqueEmail(),
            password: STRONG_PASSWORD,
            name: 'N',
            organization: { name: 'O' },
          },
        },
        null,
      );
      expectProblem(reg, 400, 'validation-failed', { field: 'organization.subdomain', rule: 'required' });
    });
  });

  it('unknown fields → 400 rule additionalProperties naming the field', async () => {
    await unchanged(async () => {
      const res = await send({
        method: 'POST',
        url: '/api/v1/departments',
        payload: { name: 'Extra', color: 'red' },
      });
      expectProblem(res, 400, 'validation-failed', { field: 'color', rule: 'additionalProperties' });
      const org = await send({
        method: 'PATCH',
        url: '/api/v1/organization',
        payload: { planId: 'enterprise' },
      });
      expectProblem(org, 400, 'validation-failed', { field: 'planId', rule: 'additionalProperties' });
      const query = await send({ method: 'GET', url: '/api/v1/members?sort=name' });
      expectProblem(query, 400, 'validation-failed', { field: 'sort', rule: 'additionalProperties' });
    });
  });

  it('overlong strings (201-char department name, 255-char e-mail) → 400 rule maxLength naming the field', async () => {
    await unchanged(async () => {
      const res = await send({
        method: 'POST',
        url: '/api/v1/departments',
        payload: { name: 'd'.repeat(201) },
      });
      expectProblem(res, 400, 'validation-failed', { field: 'name', rule: 'maxLength' });
      const email = `${'a'.repeat(64)}.${'b'.repeat(61)}@${'c'.repeat(60)}.${'d'.repeat(63)}.com`;
      expect(email).toHaveLength(255);
      const roles = (await send({ method: 'GET', url: '/api/v1/roles' })).json().items as { id: string }[];
      const inv = await send({
        method: 'POST',
        url: '/api/v1/invitations',
        payload: { email, roleId: roles[0]!.id },
      });
      expectProblem(inv, 400, 'validation-failed', { field: 'email', rule: 'maxLength' });
      const reg = await send(
        {
          method: 'POST',
          url: '/api/v1/auth/register',
          payload: {
            email,
            password: STRONG_PASSWORD,
            name: 'N',
            organization: { name: 'O', subdomain: uniqueSubdomain() },
          },
        },
        null,
      );
      expectProblem(reg, 400, 'validation-failed', { field: 'email', rule: 'maxLength' });
    });
    // The boundary itself is accepted: 200 characters.
    const ok = await send({
      method: 'POST',
      url: '/api/v1/departments',
      payload: { name: 'e'.repeat(200) },
    });
    expect(ok.statusCode, ok.body).toBe(201);
    await send({ method: 'DELETE', url: `/api/v1/departments/${ok.json().id}` });
  });

  it('invalid ids in paths (/members/not-a-uuid) → 400 naming id', async () => {
    await unchanged(async () => {
      for (const [method, url] of [
        ['GET', '/api/v1/members/not-a-uuid'],
        ['PATCH', '/api/v1/members/123'],
        ['DELETE', '/api/v1/departments/%27%3B%20DROP%20TABLE%20users%3B--'],
        ['GET', '/api/v1/roles/00000000-0000-0000-0000-00000000000g'],
      ] as const) {
        const res = await send({
          method,
          url,
          ...(method === 'PATCH' ? { payload: { status: 'active' } } : {}),
        });
        const body = expectProblem(res, 400, 'validation-failed', { field: 'id', rule: 'format' });
        expect(body.errors!.find((e) => e.field === 'id')!.in).toBe('params');
      }
    });
  });

  it('a path id longer than the router allows (300 chars) or with broken %-encoding → 4xx problem+json', async () => {
    await unchanged(async () => {
      for (const url of [`/api/v1/members/${'x'.repeat(300)}`, '/api/v1/members/%E0%A4%A']) {
        const res = await send({ method: 'GET', url });
        expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, res.body).toBeLessThan(500);
        expectProblem(res, res.statusCode, String(res.json().type).replace('urn:bul:error:', ''));
      }
    });
  });

  it('invalid query values (limit=abc, limit=0, limit=201) → 400 naming limit', async () => {
    for (const url of [
      '/api/v1/members',
      '/api/v1/invitations',
      '/api/v1/api-keys',
      '/api/v1/audit/search',
    ]) {
      for (const [limit, rule] of [
        ['abc', 'type'],
        ['0', 'minimum'],
        ['201', 'maximum'],
        ['1.5', 'type'],
      ] as const) {
        const res = await send({ method: 'GET', url: `${url}?limit=${limit}` });
        const body = expectProblem(res, 400, 'validation-failed', { field: 'limit', rule });
        expect(body.errors!.find((e) => e.field === 'limit')!.in).toBe('query');
      }
    }
    expectProblem(
      await send({ method: 'GET', url: '/api/v1/members?status=deleted' }),
      400,
      'validation-failed',
      { field: 'status', rule: 'enum' },
    );
    expectProblem(
      await send({ method: 'GET', url: '/api/v1/members?role_id=admin' }),
      400,
      'validation-failed',
      { field: 'role_id', rule: 'format' },
    );
  });

  it('a nonsense If-Match or X-Organization-ID header → 400 naming the header', async () => {
    const dept = (
      await send({ method: 'POST', url: '/api/v1/departments', payload: { name: 'Versioned' } })
    ).json();
    await unchanged(async () => {
      const res = await send({
        method: 'PATCH',
        url: `/api/v1/departments/${dept.id}`,
        headers: { 'if-match': 'latest please' },
        payload: { name: 'Renamed' },
      });
      expectProblem(res, 400, 'validation-failed', { field: 'if-match' });
      const org = await send({
        method: 'GET',
        url: '/api/v1/departments',
        headers: { 'x-organization-id': "'; DROP TABLE users; --" },
      });
      expectProblem(org, 400, 'validation-failed', { field: 'x-organization-id' });
    });
    const { rows } = await t.owner('SELECT name FROM departments WHERE id = $1', [dept.id]);
    expect(rows[0]!.name).toBe('Versioned');
  });
});

// ------------------------------------------------------------------------------------------------

describe('hostile text is data: stored and returned verbatim', () => {
  it('organization name with SQL/HTML metacharacters round-trips (registration and PATCH)', async () => {
    const email = uniqueEmail();
    const reg = await send(
      {
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: {
          email,
          password: STRONG_PASSWORD,
          name: HOSTILE,
          organization: { name: HOSTILE, subdomain: uniqueSubdomain() },
        },
      },
      null,
    );
    expect(reg.statusCode, reg.body).toBe(201);
    expect(reg.json().organization.name).toBe(HOSTILE);
    const s = await login(t, email);
    const org = await send({ method: 'GET', url: '/api/v1/organization' }, s);
    expect(org.json().name).toBe(HOSTILE);
    const patched = await send(
      { method: 'PATCH', url: '/api/v1/organization', payload: { name: `${HOSTILE} v2` } },
      s,
    );
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().name).toBe(`${HOSTILE} v2`);
    const { rows } = await t.owner('SELECT name FROM organizations WHERE id = $1', [s.orgId]);
    expect(rows[0]!.name).toBe(`${HOSTILE} v2`);
    // users still exists, and the user's name came through intact too.
    const me = await send({ method: 'GET', url: '/api/v1/auth/me' }, s);
    expect(me.json().user.name).toBe(HOSTILE);
  });

  it('department name and description round-trip', async () => {
    const res = await send({
      method: 'POST',
      url: '/api/v1/departments',
      payload: { name: HOSTILE, description: `${HOSTILE}\n<img src=x onerror=alert(1)>` },
    });
    expect(res.statusCode, res.body).toBe(201);
    const got = (await send({ method: 'GET', url: `/api/v1/departments/${res.json().id}` })).json();
    expect(got.name).toBe(HOSTILE);
    expect(got.description).toBe(`${HOSTILE}\n<img src=x onerror=alert(1)>`);
    const { rows } = await t.owner('SELECT name, description FROM departments WHERE id = $1', [
      res.json().id,
    ]);
    expect(rows[0]).toEqual({ name: HOSTILE, description: `${HOSTILE}\n<img src=x onerror=alert(1)>` });
  });

  it('role name round-trips', async () => {
    const res = await send({
      method: 'POST',
      url: '/api/v1/roles',
      payload: { name: HOSTILE, description: HOSTILE, permissions: ['departments:read'] },
    });
    expect(res.statusCode, res.body).toBe(201);
    const got = (await send({ method: 'GET', url: `/api/v1/roles/${res.json().id}` })).json();
    expect(got).toMatchObject({ name: HOSTILE, description: HOSTILE });
  });

  it('member search q with metacharacters is a literal substring, not SQL or a LIKE pattern', async () => {
    const member = await addMember(t, admin, 'user', uniqueEmail("o'brien%_x"));
    await t.owner('UPDATE users SET name = $1 WHERE id = $2', [`Member ${HOSTILE}`, member.userId]);
    const q = async (text: string) =>
      (await send({ method: 'GET', url: '/api/v1/members', query: { q: text } })).json().items as {
        userId: string;
      }[];
    expect((await q(HOSTILE)).map((m) => m.userId)).toEqual([member.userId]);
    expect((await q("o'brien%_x")).map((m) => m.userId)).toEqual([member.userId]);
    expect(await q('%')).toHaveLength(1); // only the member whose name/e-mail holds a literal %
    expect(await q('_')).toHaveLength(1);
    expect(await q("' OR '1'='1")).toEqual([]);
    expect(await q('\\')).toHaveLength(1);
  });

  it('invitation e-mail with metacharacters in the local part round-trips', async () => {
    const email = `o'reilly+%_{x}|~*!#$&=?^\`${Date.now()}@example.com`;
    const roles = (await send({ method: 'GET', url: '/api/v1/roles' })).json().items as {
      id: string;
      key: string | null;
    }[];
    const res = await send({
      method: 'POST',
      url: '/api/v1/invitations',
      payload: { email, roleId: roles.find((r) => r.key === 'viewer')!.id },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().email).toBe(email);
    const list = (await send({ method: 'GET', url: '/api/v1/invitations', query: { limit: '200' } })).json()
      .items as { email: string }[];
    expect(list.map((i) => i.email)).toContain(email);
    const accepted = await send(
      {
        method: 'POST',
        url: '/api/v1/invitations/accept',
        payload: { token: res.json().token, name: HOSTILE, password: STRONG_PASSWORD },
      },
      null,
    );
    expect(accepted.statusCode, accepted.body).toBe(201);
    const s = await login(t, email, STRONG_PASSWORD, { organization: admin.orgId });
    expect((await send({ method: 'GET', url: '/api/v1/auth/me' }, s)).json().user).toMatchObject({
      email,
      name: HOSTILE,
    });
  });

  it('audit search action filter with metacharacters → 400 pattern, not a query', async () => {
    for (const action of [HOSTILE, "auth.login' OR 1=1 --", 'auth.%', 'AUTH.LOGIN']) {
      const res = await send({ method: 'GET', url: '/api/v1/audit/search', query: { action } });
      expectProblem(res, 400, 'validation-failed', { field: 'action', rule: 'pattern' });
    }
    const overlong = await send({
      method: 'GET',
      url: '/api/v1/audit/search',
      query: { action: 'a'.repeat(101) },
    });
    expectProblem(overlong, 400, 'validation-failed', { field: 'action', rule: 'maxLength' });
  });

  it('a NUL byte in a string → 400 naming the field, not 500, nothing stored', async () => {
    await unchanged(async () => {
      const dept = await send({ method: 'POST', url: '/api/v1/departments', payload: { name: 'a\u0000b' } });
      expectProblem(dept, 400, 'validation-failed', { field: 'name' });
      const desc = await send({
        method: 'POST',
        url: '/api/v1/departments',
        payload: { name: 'ok', description: 'x\u0000' },
      });
      expectProblem(desc, 400, 'validation-failed', { field: 'description' });
      const org = await send({ method: 'PATCH', url: '/api/v1/organization', payload: { name: '\u0000' } });
      expectProblem(org, 400, 'validation-failed', { field: 'name' });
      const role = await send({
        method: 'POST',
        url: '/api/v1/roles',
        payload: { name: 'r\u0000', permissions: ['departments:read'] },
      });
      expectProblem(role, 400, 'validation-failed', { field: 'name' });
      const search = await send({ method: 'GET', url: '/api/v1/members?q=a%00b' });
      expectProblem(search, 400, 'validation-failed', { field: 'q' });
      const loginRes = await send(
        {
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { email: `${admin.email}\u0000`, password: 'x' },
        },
        null,
      );
      expectProblem(loginRes, 400, 'validation-failed', { field: 'email' });
    });
  });
});

// ------------------------------------------------------------------------------------------------

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

interface Operation {
  parameters?: { in: string; name: string }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}

function typesOf(s: JsonSchema): string[] {
  const own = s.type ? (Array.isArray(s.type) ? s.type : [s.type]) : [];
  const nested = [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])].flatMap(typesOf);
  return [...own, ...nested];
}

function propertiesOf(s: JsonSchema): Record<string, JsonSchema> {
  return Object.assign({}, s.properties ?? {}, ...(s.allOf ?? []).map(propertiesOf));
}

/** A value of a type the schema does not allow. */
function wrongValue(s: JsonSchema, deep: boolean): unknown {
  const types = typesOf(s);
  if (deep && types.includes('object')) return wrongObject(s, true);
  if (types.includes('string')) return 12345;
  if (types.includes('array')) return { not: 'an array' };
  return 'wrong type';
}

function wrongObject(s: JsonSchema, deep: boolean): Record<string, unknown> {
  return Object.fromEntries(Object.entries(propertiesOf(s)).map(([k, p]) => [k, wrongValue(p, deep)]));
}

/** Every string (at any depth) replaced by `text`; other values get a wrong but plausible shape. */
function stringsOf(s: JsonSchema, text: string): unknown {
  const types = typesOf(s);
  if (types.includes('object'))
    return Object.fromEntries(Object.entries(propertiesOf(s)).map(([k, p]) => [k, stringsOf(p, text)]));
  if (types.includes('array')) return [s.items ? stringsOf(s.items, text) : text];
  if (types.includes('integer') || types.includes('number')) return 1e308;
  if (types.includes('boolean')) return false;
  return text;
}

describe('fuzz: every operation of the OpenAPI document', () => {
  it('hostile bodies, queries, paths and headers never get a 5xx answer', async () => {
    const doc = (await t.request({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, Operation>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.entries(ops)
        .filter(([m]) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map(([m, op]) => ({ method: m.toUpperCase() as InjectOptions['method'], path: p, op })),
    );
    expect(operations.length).toBeGreaterThan(40);
    // Session-ending operations last, each with a throwaway session.
    const ending = new Set(['/api/v1/auth/logout', '/api/v1/auth/sessions/revoke-others']);
    operations.sort((a, b) => Number(ending.has(a.path)) - Number(ending.has(b.path)));

    const fuzzer = await signUp(t);
    const boss = await signUp(t);
    await t.owner('UPDATE users SET is_super_admin = true WHERE id = $1', [boss.userId]);
    const superAdmin = await login(t, boss.email);

    const huge = 'x'.repeat(100_000);
    const nul = 'a\u0000b';
    const serverErrors: string[] = [];
    const notProblem: string[] = [];
    let sent = 0;

    for (const { method, path: p, op } of operations) {
      const s = ending.has(p)
        ? await login(t, fuzzer.email)
        : p.startsWith('/api/v1/admin/')
          ? superAdmin
          : fuzzer;
      const fill = (id: string) => p.replace(/\{[^}]+\}/g, encodeURIComponent(id));
      const url = fill(randomUUID());
      const hit = async (label: string, opts: Omit<InjectOptions, 'method' | 'url'> & { url?: string }) => {
        const res = await t.request({
          method,
          url: opts.url ?? url,
          ...opts,
          headers: { ...s.headers, ...(opts.headers ?? {}) },
        });
        sent++;
        const what = `${method} ${p} [${label}] → ${res.statusCode} ${res.body.slice(0, 160)}`;
        if (res.statusCode >= 500) serverErrors.push(what);
        else if (res.statusCode >= 400) {
          if (!/^application\/problem\+json/.test(String(res.headers['content-type'])))
            notProblem.push(`${res.headers['content-type']}: ${what}`);
          expectNoLeak(res.body);
        }
      };

      // Bodies.
      if (method !== 'GET') {
        const raw = ['[]', '"x"', '123', 'null', 'true', '{}', '{"a":', '[[[[[[[[[[', `"${huge}"`];
        raw.push(`${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`, `${'['.repeat(5000)}${']'.repeat(5000)}`);
        for (const payload of raw) await hit(`body ${payload.slice(0, 12)}`, { headers: JSON_CT, payload });
        const schema = op.requestBody?.content['application/json']?.schema;
        if (schema) {
          await hit('wrong types', { payload: wrongObject(schema, false) });
          await hit('wrong types deep', { payload: wrongObject(schema, true) });
          await hit('huge strings', { payload: stringsOf(schema, huge) as object });
          await hit('nul strings', { payload: stringsOf(schema, nul) as object });
          await hit('hostile strings', { payload: stringsOf(schema, HOSTILE) as object });
        }
      }

      // Query strings.
      const params = (op.parameters ?? []).filter((x) => x.in === 'query').map((x) => x.name);
      for (const name of params) {
        for (const value of [huge, 'abc', '-1', '0', '1e309', '[]', '{}', nul, HOSTILE, '']) {
          await hit(`query ${name}=${value.slice(0, 10)}`, { query: { [name]: value } });
        }
        await hit(`query ${name} twice`, { url: `${url}?${name}=1&${name}=2` });
      }
      await hit('unknown query', { url: `${url}?__proto__[x]=1&constructor[prototype][y]=2` });

      // Path ids.
      if (p.includes('{')) {
        for (const id of [
          'not-a-uuid',
          'x'.repeat(300),
          nul,
          '../../etc/passwd',
          randomUUID().toUpperCase(),
          HOSTILE,
        ]) {
          await hit(`path ${id.slice(0, 10)}`, {
            url: fill(id),
            ...(method !== 'GET' ? { payload: {} } : {}),
          });
        }
        // Broken percent-encoding, sent as is.
        await hit('path bad escape', { url: p.replace(/\{[^}]+\}/g, '%E0%A4%A') });
      }

      // Headers.
      for (const [name, value] of [
        ['if-match', 'garbage'],
        ['if-match', `"${'9'.repeat(30)}"`],
        ['x-organization-id', 'nope'],
        ['x-organization-id', randomUUID()],
        ['idempotency-key', huge.slice(0, 5000)],
        ['x-request-id', HOSTILE],
        ['accept', 'application/xml'],
        ['authorization', `Bearer ${huge.slice(0, 4000)}`],
        ['authorization', 'Basic Zm9vOmJhcg=='],
        ['cookie', `bul_session=${HOSTILE}; bul_csrf=x`],
      ] as const) {
        await hit(`header ${name}`, {
          headers: {
            [name]: encodeURIComponent(value) === value ? value : value.replace(/[^\x20-\x7e]/g, '?'),
          },
          ...(method !== 'GET' ? { payload: {} } : {}),
        });
      }
    }

    expect(sent).toBeGreaterThan(500);
    expect.soft(serverErrors, 'answers >= 500').toEqual([]);
    expect.soft(notProblem, '4xx answers that are not problem+json').toEqual([]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(({} as Record<string, unknown>).y).toBeUndefined();
  });
});
