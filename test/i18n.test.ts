// Issue 14, items 20 and 22: names and titles are trimmed and a name of spaces only is refused
// like an empty one, on every resource that requires one; problem answers speak the request's
// language (Accept-Language: en, es, pt-BR) in title, detail and field messages, with dates
// formatted for it, while `type` and each error's field and rule stay the same. The drift test
// fails when a catalogue text lacks a language or a placeholder.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../src/platform/errors.ts';
import { ERROR_TITLES } from '../src/platform/i18n/error-titles.ts';
import { LOCALES, negotiateLocale } from '../src/platform/i18n/locale.ts';
import { MESSAGE_CATALOGUES, placeholders } from '../src/platform/i18n/message.ts';
import { apiHelpers } from './support/api-helpers.ts';
import { expectFieldError, expectProblem } from './support/problems.ts';
import { ROOT } from './support/process.ts';
import { createTestApp, type Session, signUp, type TestApp, uniqueSubdomain } from './support/test-app.ts';

/** Every messages.ts under src/ (the catalogues register themselves when loaded). */
function messageFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return messageFiles(full);
    return /(^|-)messages\.ts$|^resource-names\.ts$/.test(e.name) ? [full] : [];
  });
}

describe('message catalogues (drift)', () => {
  it('every text of every catalogue is in every language, with the same placeholders', async () => {
    const files = messageFiles(path.join(ROOT, 'src'));
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const f of files) await import(f);
    expect([...MESSAGE_CATALOGUES.keys()]).toEqual(
      expect.arrayContaining([
        'rule',
        'http',
        'common',
        'resource',
        'work',
        'identity',
        'tenancy',
        'business',
      ]),
    );
    const problems: string[] = [];
    for (const [scope, texts] of MESSAGE_CATALOGUES) {
      for (const [key, byLocale] of Object.entries(texts)) {
        const en = placeholders(byLocale.en ?? '');
        for (const locale of LOCALES) {
          const text = (byLocale as Record<string, string | undefined>)[locale];
          if (typeof text !== 'string' || text.trim() === '')
            problems.push(`${scope}.${key} lacks ${locale}`);
          else if (placeholders(text).join() !== en.join())
            problems.push(`${scope}.${key} in ${locale} has {${placeholders(text)}}, English {${en}}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('every error code has a title in every language', () => {
    for (const code of Object.keys(ERROR_CATALOGUE) as (keyof typeof ERROR_CATALOGUE)[]) {
      for (const locale of LOCALES) expect(ERROR_TITLES[code][locale], `${code} ${locale}`).toBeTruthy();
      expect(ERROR_TITLES[code].en).toBe(ERROR_CATALOGUE[code].title);
      expect(ERROR_TITLES[code].es).not.toBe(ERROR_CATALOGUE[code].title);
    }
  });
});

describe('Accept-Language negotiation', () => {
  it('picks the best supported language by q-value, by primary language, else English', () => {
    expect(negotiateLocale(undefined)).toBe('en');
    expect(negotiateLocale('')).toBe('en');
    expect(negotiateLocale('es')).toBe('es');
    expect(negotiateLocale('es-MX,es;q=0.9')).toBe('es');
    expect(negotiateLocale('pt-BR')).toBe('pt-BR');
    expect(negotiateLocale('pt-PT, pt;q=0.8')).toBe('pt-BR');
    expect(negotiateLocale('fr-FR, fr;q=0.9, pt-BR;q=0.8, es;q=0.5')).toBe('pt-BR');
    expect(negotiateLocale('es;q=0.2, pt-BR;q=0.7')).toBe('pt-BR');
    expect(negotiateLocale('de, *;q=0.5')).toBe('en');
    expect(negotiateLocale('es;q=0, pt-br')).toBe('pt-BR');
    expect(negotiateLocale('fr, de')).toBe('en');
    expect(negotiateLocale('EN-gb')).toBe('en');
  });
});

let t: TestApp;
let admin: Session;
let clientId: string;
let projectId: string;
const { api, rowOf } = apiHelpers(
  () => t,
  () => admin,
);

beforeAll(async () => {
  t = await createTestApp();
  admin = await signUp(t, { orgName: 'Languages' });
  await t.owner("UPDATE organizations SET plan_id = 'enterprise' WHERE id = $1", [admin.orgId]);
  clientId = (await api(admin, 'POST', '/clients', { name: 'Client' })).json().id;
  projectId = (await api(admin, 'POST', '/projects', { name: 'Project' })).json().id;
  expect(clientId && projectId).toBeTruthy();
});

afterAll(async () => {
  await t?.close();
});

const ES = { 'accept-language': 'es' };
const PT = { 'accept-language': 'pt-BR' };

describe('problem answers in the request language (item 22)', () => {
  it('a field rule: "must not be empty" in Spanish and Portuguese, no English left', async () => {
    const en = await api(admin, 'POST', '/projects', { name: '' });
    const enBody = expectFieldError(en, 'name', 'minLength');
    expect(en.headers['content-language']).toBe('en');
    expect(String(en.headers.vary)).toMatch(/accept-language/i);
    expect(enBody.title).toBe('The request is not valid');
    expect(enBody.detail).toBe('name must not be empty');
    expect(enBody.errors[0].message).toBe('must not be empty');

    const es = await api(admin, 'POST', '/projects', { name: '' }, ES);
    const esBody = expectFieldError(es, 'name', 'minLength');
    expect(es.headers['content-language']).toBe('es');
    expect(String(es.headers.vary)).toMatch(/accept-language/i);
    expect(esBody.title).toBe('La solicitud no es válida');
    expect(esBody.detail).toBe('El campo «name» no debe estar vacío');
    expect(esBody.errors).toEqual([
      { field: 'name', in: 'body', rule: 'minLength', message: 'no debe estar vacío' },
    ]);

    const pt = await api(admin, 'POST', '/projects', { name: '' }, PT);
    const ptBody = expectFieldError(pt, 'name', 'minLength');
    expect(pt.headers['content-language']).toBe('pt-BR');
    expect(ptBody.title).toBe('A requisição não é válida');
    expect(ptBody.detail).toBe('O campo “name” não pode ficar vazio');
    expect(ptBody.errors).toEqual([
      { field: 'name', in: 'body', rule: 'minLength', message: 'não pode ficar vazio' },
    ]);
    // Only human text changes: the machine-read parts are the same in every language.
    for (const b of [esBody, ptBody]) {
      expect(b.type).toBe(enBody.type);
      expect(b.errors.map((e: { field: string; rule: string }) => [e.field, e.rule])).toEqual(
        enBody.errors.map((e: { field: string; rule: string }) => [e.field, e.rule]),
      );
    }
  });

  it('a wrong login: "E-mail or password is wrong"', async () => {
    const payload = { email: admin.email, password: 'not the password at all' };
    const en = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload });
    expect(expectProblem(en, 401, 'invalid-credentials').title).toBe('E-mail or password is wrong');
    const es = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload, headers: ES });
    const esBody = expectProblem(es, 401, 'invalid-credentials');
    expect(esBody.title).toBe('El correo electrónico o la contraseña no son correctos');
    expect(esBody.detail).toBe('El correo electrónico o la contraseña no son correctos');
    const pt = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload, headers: PT });
    const ptBody = expectProblem(pt, 401, 'invalid-credentials');
    expect(ptBody.title).toBe('E-mail ou senha incorretos');
    expect(ptBody.detail).toBe('O e-mail ou a senha estão incorretos');
  });

  it('a path parameter: "id must be a valid uuid"', async () => {
    const en = await api(admin, 'GET', '/projects/not-a-uuid');
    expect(expectFieldError(en, 'id', 'format').detail).toBe('id must be a valid uuid');
    const es = expectFieldError(
      await api(admin, 'GET', '/projects/not-a-uuid', undefined, ES),
      'id',
      'format',
    );
    expect(es.detail).toBe('El campo «id» debe ser un UUID válido');
    expect(es.errors[0]).toEqual({
      field: 'id',
      in: 'params',
      rule: 'format',
      message: 'debe ser un UUID válido',
    });
    const pt = expectFieldError(
      await api(admin, 'GET', '/projects/not-a-uuid', undefined, PT),
      'id',
      'format',
    );
    expect(pt.detail).toBe('O campo “id” deve ser um UUID válido');
  });

  it('a service rule with dates: "the due date 2026-12-01 is before the start 2026-12-10", dates in the language', async () => {
    const body = { name: 'Dated', startDate: '2026-12-10', dueDate: '2026-12-01' };
    const en = expectFieldError(await api(admin, 'POST', '/projects', body), 'dueDate', 'notBeforeStart');
    expect(en.detail).toBe('the due date December 1, 2026 is before the start December 10, 2026');
    const es = expectFieldError(await api(admin, 'POST', '/projects', body, ES), 'dueDate', 'notBeforeStart');
    expect(es.detail).toBe(
      'La fecha de entrega (1 de diciembre de 2026) es anterior a la de inicio (10 de diciembre de 2026)',
    );
    expect(es.errors[0].message).toBe(
      'la fecha de entrega (1 de diciembre de 2026) es anterior a la de inicio (10 de diciembre de 2026)',
    );
    const pt = expectFieldError(await api(admin, 'POST', '/projects', body, PT), 'dueDate', 'notBeforeStart');
    expect(pt.detail).toBe(
      'A data de entrega (1 de dezembro de 2026) é anterior à de início (10 de dezembro de 2026)',
    );
  });

  it('q-values choose among languages; an unsupported one falls back to English', async () => {
    const res = await api(admin, 'GET', '/projects/not-a-uuid', undefined, {
      'accept-language': 'fr-FR, fr;q=0.9, pt-BR;q=0.8, es;q=0.5',
    });
    expect(res.headers['content-language']).toBe('pt-BR');
    expect(res.json().title).toBe('A requisição não é válida');
    const fr = await api(admin, 'GET', '/projects/not-a-uuid', undefined, { 'accept-language': 'fr' });
    expect(fr.headers['content-language']).toBe('en');
    expect(fr.json().detail).toBe('id must be a valid uuid');
  });

  it('not found, stale versions, numbers and unknown routes speak the language too', async () => {
    const missing = '01900000-0000-7000-8000-000000000000';
    const es = expectProblem(await api(admin, 'GET', `/tasks/${missing}`, undefined, ES), 404, 'not-found');
    expect(es).toMatchObject({ title: 'No encontrado', detail: 'No se encontró la tarea' });
    const pt = expectProblem(await api(admin, 'GET', `/tasks/${missing}`, undefined, PT), 404, 'not-found');
    expect(pt).toMatchObject({ title: 'Não encontrado', detail: 'Não foi possível encontrar a tarefa' });
    const stale = await api(
      admin,
      'PATCH',
      `/projects/${projectId}`,
      { name: 'Renamed' },
      { ...ES, 'if-match': '"99"' },
    );
    expect(expectProblem(stale, 412, 'precondition-failed').detail).toBe(
      'El proyecto está en la versión 1, no en la 99; vuelva a cargar e inténtelo de nuevo',
    );
    const long = await api(admin, 'POST', '/projects', { name: 'x'.repeat(201) }, PT);
    expect(expectFieldError(long, 'name', 'maxLength').errors[0].message).toBe(
      'deve ter no máximo 200 caracteres',
    );
    const route = await t.request({ method: 'GET', url: '/api/v1/nowhere', headers: ES });
    expect(expectProblem(route, 404, 'not-found').detail).toBe('No existe la ruta GET /api/v1/nowhere');
  });
  it('uploads: a refused file type is explained in the language', async () => {
    const task = await api(admin, 'POST', '/tasks', { projectId, title: 'With a file' });
    expect(task.statusCode, task.body).toBe(201);
    const form = new FormData();
    form.append('file', new Blob([Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200)])]), 'setup.exe');
    const res = new Response(form);
    const sent = await t.request({
      method: 'POST',
      url: `/api/v1/tasks/${task.json().id}/attachments`,
      headers: { ...admin.headers, ...PT, 'content-type': res.headers.get('content-type')! },
      payload: Buffer.from(await res.arrayBuffer()),
    });
    const body = expectProblem(sent, 415, 'unsupported-file');
    expect(body.title).toBe('Este tipo de arquivo não é aceito');
    expect(body.detail).toMatch(/^Arquivos do tipo \.exe não são aceitos \(permitidos: .+\)$/);
  });
});

/** Every resource with a required name or title: where to create it, update it, and the field. */
function resources(): {
  what: string;
  field: string;
  create: () => Promise<{ url: string; body: Record<string, unknown> }>;
  table: string;
  column: string;
  updateUrl: (id: string) => string;
}[] {
  return [
    {
      what: 'project',
      field: 'name',
      table: 'projects',
      column: 'name',
      create: async () => ({ url: '/projects', body: {} }),
      updateUrl: (id) => `/projects/${id}`,
    },
    {
      what: 'task',
      field: 'title',
      table: 'tasks',
      column: 'title',
      create: async () => ({ url: '/tasks', body: { projectId } }),
      updateUrl: (id) => `/tasks/${id}`,
    },
    {
      what: 'client',
      field: 'name',
      table: 'clients',
      column: 'name',
      create: async () => ({ url: '/clients', body: {} }),
      updateUrl: (id) => `/clients/${id}`,
    },
    {
      what: 'contact',
      field: 'name',
      table: 'client_contacts',
      column: 'name',
      create: async () => ({ url: `/clients/${clientId}/contacts`, body: {} }),
      updateUrl: (id) => `/clients/${clientId}/contacts/${id}`,
    },
    {
      what: 'milestone',
      field: 'name',
      table: 'project_milestones',
      column: 'name',
      create: async () => ({ url: `/projects/${projectId}/milestones`, body: {} }),
      updateUrl: (id) => `/projects/${projectId}/milestones/${id}`,
    },
    {
      what: 'expense',
      field: 'category',
      table: 'project_expenses',
      column: 'category',
      create: async () => ({
        url: `/projects/${projectId}/expenses`,
        body: { spentOn: '2026-01-05', amountMinor: 100 },
      }),
      updateUrl: (id) => `/projects/${projectId}/expenses/${id}`,
    },
    {
      what: 'department',
      field: 'name',
      table: 'departments',
      column: 'name',
      create: async () => ({ url: '/departments', body: {} }),
      updateUrl: (id) => `/departments/${id}`,
    },
    {
      what: 'role',
      field: 'name',
      table: 'roles',
      column: 'name',
      create: async () => ({ url: '/roles', body: { permissions: ['projects:read'] } }),
      updateUrl: (id) => `/roles/${id}`,
    },
    {
      what: 'deal',
      field: 'title',
      table: 'deals',
      column: 'title',
      create: async () => ({ url: '/deals', body: {} }),
      updateUrl: (id) => `/deals/${id}`,
    },
    {
      what: 'contract',
      field: 'name',
      table: 'contracts',
      column: 'name',
      create: async () => ({
        url: '/contracts',
        body: { clientId, amountMinor: 1000, billingInterval: 'month', startDate: '2026-01-01' },
      }),
      updateUrl: (id) => `/contracts/${id}`,
    },
    {
      what: 'invoice',
      field: 'number',
      table: 'invoices',
      column: 'number',
      create: async () => ({
        url: '/invoices',
        body: { clientId, issuedOn: '2026-01-01', dueOn: '2026-01-31', amountMinor: 1000 },
      }),
      updateUrl: (id) => `/invoices/${id}`,
    },
  ];
}

describe('names of spaces only are refused, and names are trimmed (item 20)', () => {
  let n = 0;
  for (const r of resources().map((x) => x.what)) {
    it(`${r}: create and update refuse a name of spaces, and store a trimmed one`, async () => {
      const res = resources().find((x) => x.what === r)!;
      const { url, body } = await res.create();
      for (const blank of ['   ', '\t \n', '']) {
        const refused = await api(admin, 'POST', url, { ...body, [res.field]: blank });
        expectFieldError(refused, res.field, 'minLength');
      }
      const es = await api(admin, 'POST', url, { ...body, [res.field]: '   ' }, ES);
      expect(expectFieldError(es, res.field, 'minLength').errors[0].message).toBe('no debe estar vacío');
      n++;
      const created = await api(admin, 'POST', url, { ...body, [res.field]: `  Padded ${r} ${n}  ` });
      expect(created.statusCode, created.body).toBe(201);
      const id = created.json().id as string;
      expect(created.json()[res.field]).toBe(`Padded ${r} ${n}`);
      const before = await rowOf(res.table, id);
      const update = await api(admin, 'PATCH', res.updateUrl(id), { [res.field]: '    ' });
      expectFieldError(update, res.field, 'minLength');
      expect(await rowOf(res.table, id)).toBe(before); // nothing stored
      const renamed = await api(admin, 'PATCH', res.updateUrl(id), { [res.field]: ` Renamed ${r} ${n}\t` });
      expect(renamed.statusCode, renamed.body).toBe(200);
      expect(renamed.json()[res.field]).toBe(`Renamed ${r} ${n}`);
    });
  }

  it('spaces around a name do not count toward its length limit', async () => {
    const full = 'x'.repeat(200);
    const ok = await api(admin, 'POST', '/projects', { name: `   ${full}  ` });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().name).toBe(full);
    expectFieldError(await api(admin, 'POST', '/projects', { name: ` ${full}x ` }), 'name', 'maxLength');
  });

  it('import: a name of spaces only is a row error, and padded names are stored trimmed', async () => {
    const importCsv = async (csv: string) => {
      const form = new FormData();
      form.append('file', new Blob([csv]), 'clients.csv');
      const res = new Response(form);
      return t.request({
        method: 'POST',
        url: '/api/v1/clients/import',
        headers: { ...admin.headers, 'content-type': res.headers.get('content-type')! },
        payload: Buffer.from(await res.arrayBuffer()),
      });
    };
    const refused = expectProblem(
      await importCsv('name,email\n   ,blank@example.com\nFine name,\n'),
      422,
      'import-invalid',
    );
    expect(refused.rowErrors).toEqual([{ row: 2, column: 'name', message: 'is required' }]);
    const stored = await importCsv('name\n  Imported padded  \n');
    expect(stored.statusCode, stored.body).toBe(201);
    const { rows } = await t.owner<{ name: string }>(
      "SELECT name FROM clients WHERE org_id = $1 AND name LIKE '%Imported padded%'",
      [admin.orgId],
    );
    expect(rows.map((r) => r.name)).toEqual(['Imported padded']);
  });

  it('API keys, organizations and people: names of spaces refused on create and rename', async () => {
    expectFieldError(
      await api(admin, 'POST', '/api-keys', { name: '  ', scopes: ['projects:read'] }),
      'name',
      'minLength',
    );
    const key = await api(admin, 'POST', '/api-keys', { name: ' CI key ', scopes: ['projects:read'] });
    expect(key.statusCode, key.body).toBe(201);
    expect(key.json().name).toBe('CI key');

    expectFieldError(await api(admin, 'PATCH', '/organization', { name: '   ' }), 'name', 'minLength');
    const renamed = await api(admin, 'PATCH', '/organization', { name: '  Languages Ltd ' });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json().name).toBe('Languages Ltd');
    expectFieldError(
      await api(admin, 'POST', '/organizations', { name: ' ', subdomain: uniqueSubdomain() }),
      'name',
      'minLength',
    );

    const register = (name: string, orgName: string) =>
      t.request({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: {
          email: `blank.${Date.now()}.${Math.random()}@example.com`,
          password: 'correct horse battery staple 42',
          name,
          organization: { name: orgName, subdomain: uniqueSubdomain() },
        },
      });
    expectFieldError(await register('   ', 'Org'), 'name', 'minLength');
    expectFieldError(await register('Person', '  '), 'organization.name', 'minLength');
  });
});
