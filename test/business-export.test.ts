// Exports of business lists: contracts, invoices, deals and feedback as CSV (BOM, CRLF, formula
// cells neutralised), JSON and XLSX, with the list's filters; reading the list is enough
// (business:read), a role without it is refused; organizations never see each other's rows; a bad
// format or filter is a 400 naming it.
import { parse as parseCsvSync } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from './support/problems.ts';
import { addMember, createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';

type Resource = 'contracts' | 'invoices' | 'deals' | 'feedback';
const RESOURCES: Resource[] = ['contracts', 'invoices', 'deals', 'feedback'];

let t: TestApp;
let admin: Session; // org_admin of A
let analyst: Session; // business:read, no business:manage
let viewer: Session; // no business:read
let other: Session; // org_admin of B
const A = { acme: '', beta: '', project: '', contracts: [] as string[], invoices: [] as string[] };
const B = { client: '', ids: [] as string[] };

function api(s: Session, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
  return t.request({
    method,
    url: `/api/v1${url}`,
    headers: s.headers,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

async function created(s: Session, url: string, payload: Record<string, unknown>): Promise<string> {
  const res = await api(s, 'POST', url, payload);
  expect(res.statusCode, `${url} ${res.body}`).toBe(201);
  return res.json().id;
}

function exportOf(s: Session, resource: Resource, query: string) {
  return t.request({ method: 'GET', url: `/api/v1/${resource}/export?${query}`, headers: s.headers });
}

const parseCsv = (res: LightMyRequestResponse) => parseCsvSync(res.rawPayload, { bom: true }) as string[][];
const jsonOf = (res: LightMyRequestResponse) => JSON.parse(res.body) as Record<string, unknown>[];

/** Ids the list answers for a query (one page is enough here). */
async function listIds(s: Session, resource: Resource, query: string): Promise<string[]> {
  const res = await api(s, 'GET', `/${resource}?limit=200&${query}`);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().nextCursor).toBeNull();
  return (res.json().items as { id: string }[]).map((i) => i.id).sort();
}

beforeAll(async () => {
  t = await createTestApp();
  admin = await signUp(t, { orgName: 'Export Org A' });
  other = await signUp(t, { orgName: 'Export Org B' });
  analyst = await addMember(t, admin, 'analyst');
  viewer = await addMember(t, admin, 'viewer');
  const org = (await api(admin, 'GET', '/organization')).json();
  expect(org.currency).toBe('USD');

  A.acme = await created(admin, '/clients', { name: 'Acme Corporation' });
  A.beta = await created(admin, '/clients', { name: '=HYPERLINK("http://evil.example","x")' });
  A.project = await created(admin, '/projects', { name: 'Website relaunch', clientId: A.acme });

  A.contracts.push(
    await created(admin, '/contracts', {
      clientId: A.acme,
      name: 'Support, monthly',
      amountMinor: 123450,
      billingInterval: 'month',
      startDate: '2024-01-01',
    }),
    await created(admin, '/contracts', {
      clientId: A.beta,
      name: '+SUM(1,2) hosting',
      amountMinor: 120000,
      billingInterval: 'year',
      startDate: '2020-01-01',
      endDate: '2020-12-31',
    }),
  );

  A.invoices.push(
    await created(admin, '/invoices', {
      clientId: A.acme,
      number: 'INV-001',
      issuedOn: '2025-01-10',
      dueOn: '2099-02-10',
      amountMinor: 100000,
    }),
    await created(admin, '/invoices', {
      clientId: A.beta,
      number: '@SUM(A1)',
      issuedOn: '2025-03-01',
      dueOn: '2099-03-31',
      amountMinor: 5000,
    }),
  );
  const pay = await api(admin, 'POST', `/invoices/${A.invoices[0]}/payments`, {
    paidOn: '2025-01-20',
    amountMinor: 40000,
    method: 'transfer',
  });
  expect(pay.statusCode, pay.body).toBe(201);
  const paid = await api(admin, 'POST', `/invoices/${A.invoices[1]}/payments`, {
    paidOn: '2025-03-05',
    amountMinor: 5000,
  });
  expect(paid.statusCode, paid.body).toBe(201);

  await created(admin, '/deals', { title: 'Tower rollout', clientId: A.acme, amountMinor: 990000 });
  await created(admin, '/deals', { title: '-1+2 renewal', clientId: A.beta, stage: 'won', amountMinor: 500 });
  await created(admin, '/deals', { title: 'Cold lead', stage: 'proposal', ownerId: admin.userId });

  await created(admin, '/feedback', {
    clientId: A.acme,
    projectId: A.project,
    score: 5,
    comment: 'Great, "fast" work,\nthank you',
    receivedOn: '2025-02-01',
  });
  await created(admin, '/feedback', {
    clientId: A.beta,
    score: 2,
    comment: '=1+1',
    receivedOn: '2025-03-01',
  });

  // Organization B: one row of each
  B.client = await created(other, '/clients', { name: 'Bravo Ltd' });
  B.ids.push(
    await created(other, '/contracts', {
      clientId: B.client,
      name: 'Bravo contract',
      amountMinor: 100,
      billingInterval: 'month',
      startDate: '2024-01-01',
    }),
    await created(other, '/invoices', {
      clientId: B.client,
      number: 'B-1',
      issuedOn: '2025-01-01',
      dueOn: '2025-01-31',
      amountMinor: 100,
    }),
    await created(other, '/deals', { title: 'Bravo deal', clientId: B.client }),
    await created(other, '/feedback', { clientId: B.client, score: 4 }),
  );
}, 60_000);

afterAll(async () => {
  await t?.close();
});

describe('business exports', () => {
  it('CSV of contracts: BOM, header, CRLF, amounts in major units, MRR contribution, formulas neutralised', async () => {
    const res = await exportOf(admin, 'contracts', 'format=csv');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/filename="contracts-\d{4}-\d{2}-\d{2}\.csv"/);
    expect([...res.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = res.rawPayload.subarray(3).toString('utf8');
    expect(
      text.startsWith(
        'id,name,clientId,client,amount,currency,billingInterval,monthlyValue,startDate,endDate,createdAt,updatedAt\r\n',
      ),
    ).toBe(true);
    const [, ...rows] = parseCsv(res);
    expect(rows.map((r) => r[0])).toEqual(A.contracts); // oldest first
    expect(rows[0]!.slice(1, 10)).toEqual([
      'Support, monthly',
      A.acme,
      'Acme Corporation',
      '1234.50',
      'USD',
      'month',
      '1234.50',
      '2024-01-01',
      '',
    ]);
    // a yearly contract contributes a twelfth to MRR; formula-like text gets a leading '
    expect(rows[1]!.slice(1, 10)).toEqual([
      "'+SUM(1,2) hosting",
      A.beta,
      `'=HYPERLINK("http://evil.example","x")`,
      '1200.00',
      'USD',
      'year',
      '100.00',
      '2020-01-01',
      '2020-12-31',
    ]);
    expect(rows[0]![10]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('JSON of invoices: paid, balance and state as the list computes them', async () => {
    const res = await exportOf(admin, 'invoices', 'format=json');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const items = jsonOf(res);
    expect(items.map((i) => i.id)).toEqual(A.invoices);
    expect(items[0]).toEqual({
      id: A.invoices[0],
      number: 'INV-001',
      clientId: A.acme,
      client: 'Acme Corporation',
      issuedOn: '2025-01-10',
      dueOn: '2099-02-10',
      amount: '1000.00',
      paid: '400.00',
      balance: '600.00',
      currency: 'USD',
      status: 'open',
      state: 'partially_paid',
      createdAt: expect.stringMatching(/Z$/),
      updatedAt: expect.stringMatching(/Z$/),
    });
    expect(items[1]).toMatchObject({ number: '@SUM(A1)', paid: '50.00', balance: '0.00', state: 'paid' });
    // CSV neutralises the number that starts with @ (JSON keeps it as it is)
    const csv = parseCsv(await exportOf(admin, 'invoices', 'format=csv'));
    expect(csv.slice(1).map((r) => r[1])).toEqual(['INV-001', "'@SUM(A1)"]);
  });

  it('CSV of deals and feedback: owner e-mail, names of client and project, quoting, neutralised text', async () => {
    const deals = parseCsv(await exportOf(admin, 'deals', 'format=csv'));
    expect(deals[0]).toEqual([
      'id',
      'title',
      'clientId',
      'client',
      'ownerEmail',
      'amount',
      'currency',
      'stage',
      'expectedCloseOn',
      'closedAt',
      'createdAt',
      'updatedAt',
    ]);
    const byTitle = new Map(deals.slice(1).map((r) => [r[1], r]));
    expect(byTitle.get('Tower rollout')!.slice(3, 10)).toEqual([
      'Acme Corporation',
      '',
      '9900.00',
      'USD',
      'lead',
      '',
      '',
    ]);
    const won = byTitle.get("'-1+2 renewal")!;
    expect(won[7]).toBe('won');
    expect(won[9]).toMatch(/Z$/); // closedAt
    expect(byTitle.get('Cold lead')!.slice(3, 8)).toEqual(['', admin.email, '0.00', 'USD', 'proposal']);

    const feedback = parseCsv(await exportOf(admin, 'feedback', 'format=csv'));
    expect(feedback[0]!.slice(0, 8)).toEqual([
      'id',
      'clientId',
      'client',
      'projectId',
      'project',
      'score',
      'comment',
      'receivedOn',
    ]);
    expect(feedback[1]!.slice(2, 8)).toEqual([
      'Acme Corporation',
      A.project,
      'Website relaunch',
      '5',
      'Great, "fast" work,\nthank you',
      '2025-02-01',
    ]);
    expect(feedback[2]![6]).toBe("'=1+1");
  });

  // Issue 14 item 14: amounts and dates were text cells, so SUM and date functions ignored them.
  it('XLSX of invoices and contracts: amounts are numbers in major units with the currency format, days are dates', async () => {
    const load = async (resource: Resource) => {
      const res = await exportOf(admin, resource, 'format=xlsx');
      expect(res.statusCode, res.body).toBe(200);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
      const ws = wb.worksheets[0]!;
      const header = (ws.getRow(1).values as unknown[]).slice(1);
      return (row: number, key: string) => ws.getRow(row).getCell(header.indexOf(key) + 1);
    };
    const invoice = await load('invoices');
    for (const [key, value] of [
      ['amount', 1000],
      ['paid', 400],
      ['balance', 600],
    ] as const) {
      expect(invoice(2, key).type, key).toBe(ExcelJS.ValueType.Number);
      expect(invoice(2, key).value, key).toBe(value);
      expect(invoice(2, key).numFmt, key).toBe('#,##0.00 "USD"');
    }
    expect(invoice(2, 'issuedOn').type).toBe(ExcelJS.ValueType.Date);
    expect(invoice(2, 'issuedOn').value).toEqual(new Date(Date.UTC(2025, 0, 10)));
    expect(invoice(2, 'issuedOn').numFmt).toBe('yyyy-mm-dd');
    expect(invoice(2, 'createdAt').type).toBe(ExcelJS.ValueType.Date);
    expect(invoice(2, 'createdAt').numFmt).toBe('yyyy-mm-dd hh:mm:ss');
    // text stays text, even when it looks like a formula (a string cell never runs)
    expect(invoice(3, 'number').value).toBe('@SUM(A1)');
    const contract = await load('contracts');
    expect(contract(2, 'amount').value).toBe(1234.5);
    expect(contract(2, 'monthlyValue').type).toBe(ExcelJS.ValueType.Number);
    expect(contract(3, 'endDate').value).toEqual(new Date(Date.UTC(2020, 11, 31)));
    expect(contract(2, 'endDate').value).toBeNull();
  });

  it('XLSX of deals reads back with exceljs', async () => {
    const res = await exportOf(admin, 'deals', 'format=xlsx&open=true');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    expect(res.headers['content-disposition']).toMatch(/filename="deals-\d{4}-\d{2}-\d{2}\.xlsx"/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    expect((ws.getRow(1).values as unknown[]).slice(1, 3)).toEqual(['id', 'title']);
    const titles = [];
    for (let n = 2; n <= ws.rowCount; n++) titles.push(ws.getRow(n).getCell(2).value);
    expect(titles.sort()).toEqual(['Cold lead', 'Tower rollout']);
  });

  it('exports the same rows as the list with the same filters', async () => {
    const cases: [Resource, string, number][] = [
      ['contracts', 'billingInterval=year', 1],
      ['contracts', 'active=true', 1],
      ['contracts', 'activeOn=2020-06-01', 1],
      ['contracts', 'active=false', 1],
      [`contracts`, `clientId=${A.acme}`, 1],
      ['invoices', 'state=paid', 1],
      ['invoices', 'state=partially_paid', 1],
      ['invoices', `clientId=${A.beta}`, 1],
      ['invoices', 'issuedFrom=2025-02-01', 1],
      ['invoices', 'status=void', 0],
      ['deals', 'stage=proposal', 1],
      ['deals', 'open=false', 1],
      ['deals', 'open=true', 2],
      ['deals', `ownerId=${admin.userId}`, 1],
      ['deals', `clientId=${A.acme}`, 1],
      ['feedback', 'score=2', 1],
      ['feedback', `projectId=${A.project}`, 1],
      ['feedback', 'receivedFrom=2025-02-15', 1],
      ['feedback', 'receivedTo=2025-02-15', 1],
    ];
    for (const [resource, filter, n] of cases) {
      const res = await exportOf(admin, resource, `format=json&${filter}`);
      expect(res.statusCode, `${resource} ${filter}: ${res.body}`).toBe(200);
      const ids = jsonOf(res)
        .map((i) => i.id as string)
        .sort();
      expect(ids, `${resource} ${filter}`).toEqual(await listIds(admin, resource, filter));
      expect(ids.length, `${resource} ${filter}`).toBe(n);
    }
    // default format is CSV
    const dflt = await exportOf(admin, 'feedback', `clientId=${A.acme}`);
    expect(dflt.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(parseCsv(dflt)).toHaveLength(2);
  });

  it("another organization exports only its own rows, even when a filter names A's records", async () => {
    for (const resource of RESOURCES) {
      for (const format of ['json', 'csv'] as const) {
        const res = await exportOf(other, resource, `format=${format}`);
        expect(res.statusCode, res.body).toBe(200);
        const ids =
          format === 'json'
            ? jsonOf(res).map((r) => r.id)
            : parseCsv(res)
                .slice(1)
                .map((r) => r[0]);
        expect(ids, `${resource} ${format}`).toHaveLength(1);
        expect(B.ids, `${resource} ${format}`).toContain(ids[0]);
        expect(res.body).not.toContain('Acme');
      }
      const filtered = await exportOf(other, resource, `format=json&clientId=${A.acme}`);
      expect(jsonOf(filtered), resource).toEqual([]);
      // and A does not see B's rows
      const mine = jsonOf(await exportOf(admin, resource, 'format=json')).map((r) => r.id);
      for (const id of B.ids) expect(mine).not.toContain(id);
    }
  });

  it('needs business:read: an analyst may export, a viewer gets 403, nobody signed in 401', async () => {
    for (const resource of RESOURCES) {
      const ok = await exportOf(analyst, resource, 'format=json');
      expect(ok.statusCode, `${resource}: ${ok.body}`).toBe(200);
      expect(jsonOf(ok).length).toBeGreaterThan(0);
      expectProblem(await exportOf(viewer, resource, 'format=csv'), 403, 'forbidden');
      expectProblem(
        await t.request({ method: 'GET', url: `/api/v1/${resource}/export?format=csv` }),
        401,
        'unauthenticated',
      );
    }
  });

  it('refuses a bad format or filter with a 400 problem naming it', async () => {
    const cases: [Resource, string, string][] = [
      ['contracts', 'format=pdf', 'format'],
      ['invoices', 'format=xls', 'format'],
      ['deals', 'format=', 'format'],
      ['feedback', 'format=csv&score=9', 'score'],
      ['invoices', 'format=csv&state=lost', 'state'],
      ['deals', 'format=json&clientId=not-a-uuid', 'clientId'],
      ['contracts', 'format=json&activeOn=2025-13-45', 'activeOn'],
      ['deals', 'format=json&limit=5', 'limit'], // paging is not an export filter
    ];
    for (const [resource, query, field] of cases) {
      const body = expectProblem(await exportOf(admin, resource, query), 400, 'validation-failed');
      expect(
        (body.errors as { field: string }[]).map((e) => e.field),
        `${resource} ${query}`,
      ).toContain(field);
    }
  });
});
