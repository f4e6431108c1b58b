// Export of the audit trail (GET /audit/export): the search's filters, every matching event oldest
// first with its chain fields, as CSV (formula-like cells neutralised), JSON or XLSX; audit:read
// needed; never another organization's events; bad filters and formats are 400s naming the field.
import { parse as parseCsvSync } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHelpers } from './support/api-helpers.ts';
import { expectFieldError, expectProblem } from './support/problems.ts';
import { addMember, createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let admin: Session;
let other: Session;
let developer: Session;
const h = apiHelpers(
  () => t,
  () => admin,
);

function exportOf(s: Session, query: string) {
  return t.request({ method: 'GET', url: `/api/v1/audit/export?${query}`, headers: s.headers });
}

beforeAll(async () => {
  t = await createTestApp();
  admin = await signUp(t, { orgName: 'Audit A' });
  other = await signUp(t, { orgName: 'Audit B' });
  developer = await addMember(t, admin, 'developer');
  // A client whose name a spreadsheet would run as a formula, in A; a client in B.
  expect((await h.api(admin, 'POST', '/clients', { name: '=HYPERLINK("x")' })).statusCode).toBe(201);
  expect((await h.api(admin, 'POST', '/clients', { name: 'Plain client' })).statusCode).toBe(201);
  expect((await h.api(other, 'POST', '/clients', { name: 'Secret of B' })).statusCode).toBe(201);
});

afterAll(async () => {
  await t?.close();
});

describe('GET /audit/export', () => {
  it('exports the filtered events oldest first, with the chain fields, as JSON', async () => {
    const res = await exportOf(admin, 'format=json&resource_type=client');
    expect(res.statusCode, res.body).toBe(200);
    const rows = res.json() as Record<string, unknown>[];
    expect(rows.map((r) => r.action)).toEqual(['client.create', 'client.create']);
    expect(rows[0]!.seq as number).toBeLessThan(rows[1]!.seq as number);
    expect(JSON.parse(rows[0]!.changes as string).name.after).toBe('=HYPERLINK("x")');
    expect(rows[1]!.prevHash).toMatch(/^[0-9a-f]{64}$/);
    // The same events the search finds, in reverse order.
    const search = (await h.api(admin, 'GET', '/audit/search?resource_type=client')).json().items as {
      id: string;
    }[];
    expect(rows.map((r) => r.id)).toEqual(search.map((e) => e.id).reverse());
    expect(JSON.stringify(rows)).not.toContain('Secret of B');
  });

  it('exports CSV with formula-like cells neutralised and action prefixes as filters', async () => {
    const res = await exportOf(admin, 'format=csv&action=client.*');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    const records = parseCsvSync(res.body.replace(/^\uFEFF/, ''), { columns: true }) as Record<
      string,
      string
    >[];
    expect(records).toHaveLength(2);
    expect(records.every((r) => r.action === 'client.create')).toBe(true);
    const changes = records.map((r) => r.changes ?? '');
    // JSON text starts with {, which is safe; the formula sits inside it and stays inert.
    expect(changes.some((c) => c.includes('=HYPERLINK'))).toBe(true);
    expect(records.every((r) => !(r.actor ?? '').startsWith('='))).toBe(true);
  });

  it('exports XLSX', async () => {
    const res = await t.request({
      method: 'GET',
      url: '/api/v1/audit/export?format=xlsx&action=auth.login',
      headers: admin.headers,
    });
    expect(res.statusCode).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const sheet = book.worksheets[0]!;
    expect(sheet.getRow(1).getCell(1).value).toBe('seq');
    expect(sheet.rowCount).toBeGreaterThanOrEqual(2);
    // the time of an event is an Excel date-time (UTC), not text
    expect(sheet.getRow(1).getCell(3).value).toBe('createdAt');
    const at = sheet.getRow(2).getCell(3);
    expect(at.type).toBe(ExcelJS.ValueType.Date);
    expect(at.numFmt).toBe('yyyy-mm-dd hh:mm:ss');
    expect(Math.abs((at.value as Date).getTime() - Date.now())).toBeLessThan(3_600_000);
  });

  it('never exports another organization’s events', async () => {
    const res = await exportOf(other, 'format=json');
    expect(res.statusCode).toBe(200);
    const text = res.body;
    expect(text).toContain('Secret of B');
    expect(text).not.toContain('HYPERLINK');
    expect(text).not.toContain('Plain client');
  });

  it('needs audit:read', async () => {
    expectProblem(await exportOf(developer, 'format=csv'), 403, 'forbidden');
    const anonymous = await t.request({ method: 'GET', url: '/api/v1/audit/export?format=csv' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('refuses bad input with a 400 naming the field', async () => {
    expectFieldError(await exportOf(admin, 'format=pdf'), 'format');
    expectFieldError(await exportOf(admin, 'limit=5'), 'limit');
    expectFieldError(await exportOf(admin, 'start_date=yesterday'), 'start_date');
    expectFieldError(
      await exportOf(admin, 'start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z'),
      'end_date',
    );
  });
});
