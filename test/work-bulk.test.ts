// Work management, bulk import and export (issue 3, items 6 and 9, "Bad input"): clients,
// projects and tasks exported as CSV (BOM, CRLF, formula cells neutralised), JSON and XLSX with the
// list filters; imported from CSV and XLSX with a dry run that reports every bad row (row, column,
// message) and an all-or-nothing commit; broken, hostile and oversized files refused with a 4xx
// problem and nothing stored; permissions and organizations kept apart.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_EXPORT_COLUMNS } from '../src/modules/work/bulk-service.ts';
import { exportText, neutralizeFormula } from '../src/platform/export/send-export.ts';
import { expectFieldError, expectProblem } from './support/problems.ts';
import { addMember, createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
type Resource = 'clients' | 'projects' | 'tasks';

let dataDir: string;
let t: TestApp;
let admin: Session;
let manager: Session;
let dev: Session;
let viewer: Session;
let other: Session; // org_admin of organization B
let otherDev: Session; // a member of B only
const ids = {
  acme: '',
  beta: '',
  formula: '',
  website: '',
  mobile: '',
  tasks: [] as string[],
};
let otherClientId = '';
let otherTaskId = '';

// ---- requests -----------------------------------------------------------------------------------

function api(app: TestApp, s: Session, method: Method, url: string, payload?: unknown) {
  return app.request({
    method,
    url: `/api/v1${url}`,
    headers: s.headers,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

async function created(s: Session, url: string, payload: Record<string, unknown>): Promise<string> {
  const res = await api(t, s, 'POST', url, payload);
  expect(res.statusCode, `${url} ${res.body}`).toBe(201);
  return res.json().id;
}

async function multipart(
  parts: ({ name: string; value: string } | { name: string; filename: string; content: Buffer | string })[],
): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const form = new FormData();
  for (const p of parts) {
    if ('value' in p) form.append(p.name, p.value);
    else form.append(p.name, new Blob([p.content]), p.filename);
  }
  const res = new Response(form);
  return {
    payload: Buffer.from(await res.arrayBuffer()),
    headers: { 'content-type': res.headers.get('content-type')! },
  };
}

async function importFile(
  s: Session,
  resource: Resource,
  filename: string,
  content: Buffer | string,
  opts: { dryRun?: boolean; app?: TestApp } = {},
): Promise<LightMyRequestResponse> {
  const body = await multipart([{ name: 'file', filename, content }]);
  return (opts.app ?? t).request({
    method: 'POST',
    url: `/api/v1/${resource}/import${opts.dryRun === undefined ? '' : `?dryRun=${opts.dryRun}`}`,
    headers: { ...s.headers, ...body.headers },
    payload: body.payload,
  });
}

function exportOf(s: Session, resource: Resource, query: string, app: TestApp = t) {
  return app.request({ method: 'GET', url: `/api/v1/${resource}/export?${query}`, headers: s.headers });
}

interface RowError {
  row: number;
  column: string;
  message: string;
}

/** "row:column" of every row error, sorted (to compare lists whatever their order). */
const cells = (errors: RowError[]) => errors.map((e) => `${e.row}:${e.column}`).sort();

/** Checks a 422 import-invalid and returns its row errors. */
function expectImportInvalid(res: LightMyRequestResponse): RowError[] {
  const body = expectProblem(res, 422, 'import-invalid');
  expect(Array.isArray(body.rowErrors)).toBe(true);
  expect(body.errorCount).toBe(body.rowErrors.length);
  const first = body.rowErrors[0] as RowError;
  expect(body.detail).toContain(`row ${first.row}, column ${first.column}`);
  return body.rowErrors;
}

function message(errors: RowError[], row: number, column: string): string {
  const e = errors.find((x) => x.row === row && x.column === column);
  expect(e, `an error at row ${row}, column ${column} in ${JSON.stringify(errors)}`).toBeDefined();
  return e!.message;
}

// ---- what was stored ----------------------------------------------------------------------------

/** Rows and audit events of an organization: an import that fails must leave all of it as it was. */
const COUNTED = ['clients', 'client_status_changes', 'projects', 'tasks', 'audit_events'] as const;

async function snapshot(
  orgId: string,
  app: TestApp = t,
): Promise<Record<(typeof COUNTED)[number] | 'incoming', number>> {
  const out = { incoming: 0 } as Record<(typeof COUNTED)[number] | 'incoming', number>;
  for (const table of COUNTED) {
    const { rows } = await app.owner<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${table} WHERE org_id = $1`,
      [orgId],
    );
    out[table] = rows[0]!.n;
  }
  out.incoming = await settledIncoming(app);
  return out;
}

/**
 * Temporary upload files left, once the request that made them is over. The import route removes
 * its temporary file in a `finally` that runs just after the answer is sent, so a count taken the
 * moment inject resolves may still see it: wait (up to 1 s) for it to go. A leak never goes.
 */
async function settledIncoming(app: TestApp = t): Promise<number> {
  const dir = path.join(app.config.dataDir, 'files', '.incoming');
  let n = 0;
  for (let i = 0; i < 50; i++) {
    n = (await readdir(dir).catch(() => [])).length;
    if (n === 0) return 0;
    await new Promise((r) => setTimeout(r, 20));
  }
  return n;
}

async function listIds(s: Session, url: string): Promise<string[]> {
  const res = await api(t, s, 'GET', url);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().nextCursor).toBeNull();
  return (res.json().items as { id: string }[]).map((i) => i.id).sort();
}

// ---- files --------------------------------------------------------------------------------------

const csv = (rows: string[][]) =>
  rows
    .map((r) => r.map((v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(','))
    .join('\r\n');

async function xlsx(rows: unknown[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('Import').addRows(rows);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

function parseCsv(res: LightMyRequestResponse): string[][] {
  return parseCsvSync(res.rawPayload, { bom: true }) as string[][];
}

// A zip written by hand (sizes and contents exactly as a test needs): see test/uploads-and-files.test.ts.
const MB = 1024 * 1024;
interface ZipEntry {
  name: string;
  raw: Buffer;
  method: 0 | 8;
  crc: number;
  size: number;
}

function deflated(name: string, content: string): ZipEntry {
  const data = Buffer.from(content);
  return { name, raw: zlib.deflateRawSync(data), method: 8, crc: zlib.crc32(data), size: data.length };
}

/** `mb` MiB of zeros, deflated without ever holding them. */
function zerosBomb(name: string, mb: number): ZipEntry {
  const zeros = Buffer.alloc(MB);
  const block = zlib.deflateRawSync(zeros, { finishFlush: zlib.constants.Z_FULL_FLUSH });
  const raw = Buffer.concat([...Array.from({ length: mb }, () => block), Buffer.from([0x03, 0x00])]);
  let crc = 0;
  for (let i = 0; i < mb; i++) crc = zlib.crc32(zeros, crc);
  return { name, raw, method: 8, crc, size: mb * MB };
}

function buildZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4);
    h.writeUInt16LE(0x0800, 6);
    h.writeUInt16LE(e.method, 8);
    h.writeUInt16LE(0x21, 12);
    h.writeUInt32LE(e.crc >>> 0, 14);
    h.writeUInt32LE(e.raw.length, 18);
    h.writeUInt32LE(e.size, 22);
    h.writeUInt16LE(name.length, 26);
    locals.push(h, name, e.raw);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0x0800, 8);
    c.writeUInt16LE(e.method, 10);
    c.writeUInt16LE(0x21, 14);
    c.writeUInt32LE(e.crc >>> 0, 16);
    c.writeUInt32LE(e.raw.length, 20);
    c.writeUInt32LE(e.size, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(offset, 42);
    centrals.push(c, name);
    offset += 30 + name.length + e.raw.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** A minimal XLSX (one sheet of inline strings) as zip entries. */
function xlsxParts(rows: string[][]): ZipEntry[] {
  const cellsXml = rows
    .map(
      (r, i) =>
        `<row r="${i + 1}">${r.map((v, j) => `<c r="${String.fromCharCode(65 + j)}${i + 1}" t="inlineStr"><is><t>${v}</t></is></c>`).join('')}</row>`,
    )
    .join('');
  return [
    deflated(
      '[Content_Types].xml',
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' +
        '</Types>',
    ),
    deflated(
      '_rels/.rels',
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    ),
    deflated(
      'xl/workbook.xml',
      '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">' +
        '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
    ),
    deflated(
      'xl/_rels/workbook.xml.rels',
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    ),
    deflated(
      'xl/worksheets/sheet1.xml',
      `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${cellsXml}</sheetData></worksheet>`,
    ),
  ];
}

// ---- fixtures -----------------------------------------------------------------------------------

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'bul-bulk-'));
  t = await createTestApp({ BUL_DATA_DIR: dataDir });
  admin = await signUp(t, { orgName: 'Bulk A' });
  await t.owner("UPDATE organizations SET plan_id = 'enterprise' WHERE id = $1", [admin.orgId]);
  manager = await addMember(t, admin, 'manager');
  dev = await addMember(t, admin, 'developer');
  viewer = await addMember(t, admin, 'viewer');
  other = await signUp(t, { orgName: 'Bulk B' });
  otherDev = await addMember(t, other, 'developer');

  ids.acme = await created(admin, '/clients', {
    name: 'Acme Corporation',
    status: 'active',
    ownerId: dev.userId,
    email: 'hello@acme.example',
    phone: '+1 415 555 0100',
    website: 'https://acme.example',
    notes: 'Line one\nline "two", with a comma',
    tags: ['vip', 'gold'],
  });
  ids.beta = await created(admin, '/clients', { name: 'Beta Industries' });
  ids.formula = await created(admin, '/clients', { name: '=HYPERLINK("http://evil.example","x")' });
  await created(admin, '/clients', { name: 'Churned Ltd', status: 'active' });
  ids.website = await created(admin, '/projects', {
    name: 'Website relaunch',
    status: 'active',
    clientId: ids.acme,
    ownerId: manager.userId,
    budgetMinor: 123_450,
    startDate: '2025-01-01',
    dueDate: '2025-06-30',
    tags: ['web'],
  });
  ids.mobile = await created(admin, '/projects', { name: 'Mobile app', clientId: ids.beta });
  const tasks: Record<string, unknown>[] = [
    { projectId: ids.website, title: 'Design the invoice page', status: 'active', priority: 'high' },
    { projectId: ids.website, title: 'Write invoice emails', assigneeId: dev.userId, status: 'active' },
    { projectId: ids.website, title: 'Launch party', status: 'pending', dueDate: '2025-06-30' },
    { projectId: ids.website, title: '+SUM(1,2) budget check', status: 'completed', estimateMinutes: 90 },
    { projectId: ids.mobile, title: 'Invoice scanner', status: 'active', tags: ['ml'] },
    { projectId: ids.mobile, title: 'App store listing', status: 'pending' },
  ];
  for (const task of tasks) ids.tasks.push(await created(admin, '/tasks', task));

  otherClientId = await created(other, '/clients', { name: 'Other Org Client' });
  const otherProject = await created(other, '/projects', { name: 'Website relaunch' }); // same name as A's
  otherTaskId = await created(other, '/tasks', {
    projectId: otherProject,
    title: 'Other org task',
    status: 'active',
  });
});

afterAll(async () => {
  await t?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

// ---- export -------------------------------------------------------------------------------------

describe('export', () => {
  it('CSV of clients: UTF-8 BOM, header, CRLF, quoting, formula cells neutralised, every client', async () => {
    const res = await exportOf(admin, 'clients', 'format=csv');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="clients-\d{4}-\d{2}-\d{2}\.csv"; filename\*=UTF-8''clients-\d{4}-\d{2}-\d{2}\.csv$/,
    );
    const raw = res.rawPayload;
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = raw.subarray(3).toString('utf8');
    expect(
      text.startsWith(
        'id,name,status,ownerEmail,email,phone,website,notes,tags,leadAt,activeAt,churnedAt,createdAt,updatedAt\r\n',
      ),
    ).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    // every record ends with CRLF (the one LF is inside Acme's quoted notes)
    expect(text.replace(/\r\n/g, '').split('\n')).toHaveLength(2);

    const rows = parseCsv(res);
    const [header, ...data] = rows;
    expect(header).toHaveLength(14);
    const byId = new Map(data.map((r) => [r[0], r]));
    expect([...byId.keys()].sort()).toEqual(await listIds(admin, '/clients?limit=200'));
    const acme = byId.get(ids.acme)!;
    expect(acme.slice(1, 9)).toEqual([
      'Acme Corporation',
      'active',
      dev.email,
      'hello@acme.example',
      "'+1 415 555 0100", // starts with +: neutralised like a formula
      'https://acme.example',
      'Line one\nline "two", with a comma',
      'vip, gold',
    ]);
    expect(acme[10]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/); // activeAt
    // a spreadsheet would run this as a formula: it gets a leading apostrophe
    expect(byId.get(ids.formula)![1]).toBe(`'=HYPERLINK("http://evil.example","x")`);
    // oldest first
    expect(data[0]![0]).toBe(ids.acme);
  });

  it('JSON of tasks: the same rows as the list with the same filters (status, projectId, q, assigneeId)', async () => {
    const filters = [
      'status=active',
      `projectId=${ids.website}`,
      'q=invoice',
      'q=invoice&status=active',
      `assigneeId=${dev.userId}`,
      `projectId=${ids.mobile}&status=pending`,
      'priority=urgent', // none
      'tag=ml',
      'dueBefore=2025-12-31',
      `clientId=${ids.beta}`,
    ];
    for (const f of filters) {
      const res = await exportOf(admin, 'tasks', `format=json&${f}`);
      expect(res.statusCode, `${f}: ${res.body}`).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      const items = JSON.parse(res.body) as Record<string, unknown>[];
      const listed = await listIds(admin, `/tasks?limit=200&${f}`);
      expect(items.map((i) => i.id).sort(), f).toEqual(listed);
      if (f === 'priority=urgent') expect(items).toEqual([]);
      else expect(items.length, f).toBeGreaterThan(0);
    }
    const all = JSON.parse((await exportOf(admin, 'tasks', 'format=json')).body) as Record<string, unknown>[];
    expect(all).toHaveLength(ids.tasks.length);
    const mine = all.find((i) => i.title === 'Write invoice emails')!;
    expect(mine).toEqual({
      id: ids.tasks[1],
      project: 'Website relaunch',
      title: 'Write invoice emails',
      description: '',
      assigneeEmail: dev.email,
      priority: 'medium',
      status: 'active',
      dueDate: null,
      estimateMinutes: null,
      tags: '',
      completedAt: null,
      createdAt: expect.stringMatching(/Z$/),
    });
    const done = all.find((i) => i.id === ids.tasks[3])!;
    expect(done.status).toBe('completed');
    expect(done.completedAt).toMatch(/Z$/);
    expect(done.estimateMinutes).toBe(90);
    // JSON is not a spreadsheet: no apostrophe there
    expect(done.title).toBe('+SUM(1,2) budget check');
  });

  it('CSV of tasks: a title starting with + is neutralised', async () => {
    const rows = parseCsv(await exportOf(admin, 'tasks', `format=csv&projectId=${ids.website}`));
    const titles = rows.slice(1).map((r) => r[2]);
    expect(titles).toContain(`'+SUM(1,2) budget check`);
    expect(rows).toHaveLength(1 + 4);
  });

  // Issue 14 item 14: budgets and dates used to be text cells (SUM and date functions failed).
  it('XLSX of projects reads back with exceljs: header, values, money, dates and numbers as typed cells', async () => {
    const res = await exportOf(admin, 'projects', 'format=xlsx');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    expect(res.headers['content-disposition']).toMatch(/filename="projects-\d{4}-\d{2}-\d{2}\.xlsx"/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    const values = (n: number) => (ws.getRow(n).values as unknown[]).slice(1);
    expect(values(1)).toEqual([
      'id',
      'name',
      'description',
      'status',
      'client',
      'ownerEmail',
      'budget',
      'spent',
      'currency',
      'startDate',
      'dueDate',
      'tags',
      'tasks',
      'tasksCompleted',
      'progress',
      'progressOverride',
      'completedAt',
      'createdAt',
    ]);
    expect(ws.actualRowCount).toBe(1 + 2);
    const website = values(2);
    expect(website[0]).toBe(ids.website);
    expect(website[1]).toBe('Website relaunch');
    expect(website[3]).toBe('active');
    expect(website[4]).toBe('Acme Corporation');
    expect(website[5]).toBe(manager.email);
    expect(website[8]).toBe('USD');
    expect(website[11]).toBe('web');
    expect(website[12]).toBe(4);
    expect(website[13]).toBe(1);
    expect(website[14]).toBe(25); // 1 of 4 tasks completed
    expect(website[15]).toBeUndefined(); // no override: an empty cell
    expect(values(3)[0]).toBe(ids.mobile);
    const cell = (row: number, col: number) => ws.getRow(row).getCell(col);
    // money: a number in major units with the currency's format; spent 0 is a number too
    expect(cell(2, 7).type).toBe(ExcelJS.ValueType.Number);
    expect(cell(2, 7).value).toBe(1234.5);
    expect(cell(2, 7).numFmt).toBe('#,##0.00 "USD"');
    expect(cell(2, 8).value).toBe(0);
    expect(cell(2, 8).numFmt).toBe('#,##0.00 "USD"');
    expect(cell(3, 7).value).toBeNull(); // no budget: an empty cell, not 0
    // dates: Excel dates (UTC midnight) shown as YYYY-MM-DD; timestamps: date-times to the millisecond
    expect(cell(2, 10).type).toBe(ExcelJS.ValueType.Date);
    expect(cell(2, 10).value).toEqual(new Date(Date.UTC(2025, 0, 1)));
    expect(cell(2, 10).numFmt).toBe('yyyy-mm-dd');
    expect(cell(2, 11).value).toEqual(new Date(Date.UTC(2025, 5, 30)));
    const json = JSON.parse((await exportOf(admin, 'projects', 'format=json')).body) as Record<
      string,
      unknown
    >[];
    expect(cell(2, 18).type).toBe(ExcelJS.ValueType.Date);
    expect(cell(2, 18).value).toEqual(new Date(json[0]!.createdAt as string));
    expect(cell(2, 18).numFmt).toBe('yyyy-mm-dd hh:mm:ss');
    // counts are numbers
    expect(cell(2, 13).type).toBe(ExcelJS.ValueType.Number);
  });

  it('honours filters on clients and projects (status, q, clientId)', async () => {
    const active = parseCsv(await exportOf(admin, 'clients', 'format=csv&status=active'));
    expect(
      active
        .slice(1)
        .map((r) => r[0])
        .sort(),
    ).toEqual(await listIds(admin, '/clients?status=active'));
    expect(active.slice(1).every((r) => r[2] === 'active')).toBe(true);
    expect(active).toHaveLength(1 + 2);
    const q = JSON.parse((await exportOf(admin, 'clients', 'format=json&q=acme')).body);
    expect(q.map((c: { id: string }) => c.id)).toEqual([ids.acme]);
    const projects = JSON.parse((await exportOf(admin, 'projects', `format=json&clientId=${ids.beta}`)).body);
    expect(projects.map((p: { id: string }) => p.id)).toEqual([ids.mobile]);
    // default format is CSV
    const dflt = await exportOf(admin, 'projects', `clientId=${ids.beta}`);
    expect(dflt.headers['content-type']).toBe('text/csv; charset=utf-8');
  });

  it('lets a viewer and a developer export (read permission); needs authentication', async () => {
    for (const s of [viewer, dev]) {
      for (const r of ['clients', 'projects', 'tasks'] as const) {
        const res = await exportOf(s, r, 'format=json');
        expect(res.statusCode, `${r}: ${res.body}`).toBe(200);
        expect(JSON.parse(res.body).length).toBeGreaterThan(0);
      }
    }
    const anon = await t.request({ method: 'GET', url: '/api/v1/tasks/export?format=csv' });
    expectProblem(anon, 401, 'unauthenticated');
  });

  it('another organization exports only its own rows', async () => {
    const aIds = new Set([ids.acme, ids.beta, ids.formula, ids.website, ids.mobile, ...ids.tasks]);
    for (const r of ['clients', 'projects', 'tasks'] as const) {
      for (const format of ['json', 'csv'] as const) {
        const res = await exportOf(other, r, `format=${format}`);
        expect(res.statusCode).toBe(200);
        const rowIds =
          format === 'json'
            ? (JSON.parse(res.body) as { id: string }[]).map((x) => x.id)
            : parseCsv(res)
                .slice(1)
                .map((x) => x[0]!);
        expect(rowIds.length, r).toBeGreaterThan(0);
        for (const id of rowIds) expect(aIds.has(id), `${r} ${format} leaks ${id}`).toBe(false);
        expect(res.body).not.toContain('Acme');
      }
    }
    const tasks = JSON.parse((await exportOf(other, 'tasks', 'format=json')).body);
    expect(tasks.map((x: { id: string }) => x.id)).toEqual([otherTaskId]);
    // a filter naming A's project finds nothing for B, not A's tasks
    const filtered = JSON.parse(
      (await exportOf(other, 'tasks', `format=json&projectId=${ids.website}`)).body,
    );
    expect(filtered).toEqual([]);
    // and A does not see B's rows
    const aClients = JSON.parse((await exportOf(admin, 'clients', 'format=json')).body);
    expect(aClients.map((c: { id: string }) => c.id)).not.toContain(otherClientId);
  });

  it('refuses a bad format or filter with 400 naming it', async () => {
    for (const [query, field] of [
      ['format=pdf', 'format'],
      ['format=csv&status=nope', 'status'],
      ['format=json&projectId=not-a-uuid', 'projectId'],
      ['format=json&dueBefore=2025-13-45', 'dueBefore'],
    ] as const) {
      const body = expectProblem(await exportOf(admin, 'tasks', query), 400, 'validation-failed');
      expect(
        (body.errors as { field: string }[]).map((e) => e.field),
        query,
      ).toContain(field);
    }
  });
});

// ---- import: good files -------------------------------------------------------------------------

describe('import of good files', () => {
  it('commits a CSV of clients: 201 {created: 3}, the rows with their fields, and audit events', async () => {
    const file = csv([
      ['Name', 'Status', 'Owner Email', 'email', 'phone', 'website', 'notes', 'tags'],
      ['Imported One', 'lead', dev.email, 'one@imported.example', '+44 20 7946 0000', '', 'first', 'a, b'],
      ['Imported Two', 'ACTIVE', '', '', '', 'https://two.example', '', ''],
      ['Imported Three', '', '', '', '', '', 'multi\nline', 'c'],
    ]);
    const before = await snapshot(admin.orgId);
    const seq0 = await maxSeq();
    const res = await importFile(admin, 'clients', 'clients.csv', `\ufeff${file}`);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toEqual({
      dryRun: false,
      rowCount: 3,
      created: 3,
      valid: true,
      errorCount: 0,
      rowErrors: [],
    });
    const { rows } = await t.owner<{
      id: string;
      name: string;
      status: string;
      owner_id: string | null;
      email: string | null;
      phone: string | null;
      website: string | null;
      notes: string;
      tags: string[];
    }>(
      "SELECT id, name, status, owner_id, email, phone, website, notes, tags FROM clients WHERE org_id = $1 AND name LIKE 'Imported %' ORDER BY name",
      [admin.orgId],
    );
    expect(rows.map(({ id: _id, ...r }) => r)).toEqual([
      {
        name: 'Imported One',
        status: 'lead',
        owner_id: dev.userId,
        email: 'one@imported.example',
        phone: '+44 20 7946 0000',
        website: null,
        notes: 'first',
        tags: ['a', 'b'],
      },
      {
        name: 'Imported Three',
        status: 'lead',
        owner_id: null,
        email: null,
        phone: null,
        website: null,
        notes: 'multi\nline',
        tags: ['c'],
      },
      {
        name: 'Imported Two',
        status: 'active',
        owner_id: null,
        email: null,
        phone: null,
        website: 'https://two.example',
        notes: '',
        tags: [],
      },
    ]);
    const after = await snapshot(admin.orgId);
    expect(after.clients).toBe(before.clients + 3);
    expect(after.client_status_changes).toBe(before.client_status_changes + 3);
    expect(after.incoming).toBe(0);
    // one client.create per row (by the importer) and one client.import, in chain order
    await t.owner('SELECT bul_audit_seal($1)', [admin.orgId]);
    const audit = await t.owner<{
      action: string;
      actor_id: string;
      resource_id: string | null;
      metadata: unknown;
    }>(
      `SELECT action, actor_id, resource_id, metadata FROM audit_events
       WHERE org_id = $1 AND action IN ('client.create', 'client.import') AND seq > $2 ORDER BY seq`,
      [admin.orgId, seq0],
    );
    expect(audit.rows.map((r) => r.action)).toEqual([
      'client.create',
      'client.create',
      'client.create',
      'client.import',
    ]);
    expect(new Set(audit.rows.map((r) => r.actor_id))).toEqual(new Set([admin.userId]));
    expect(
      audit.rows
        .slice(0, 3)
        .map((r) => r.resource_id)
        .sort(),
    ).toEqual(rows.map((r) => r.id).sort());
    expect(audit.rows[3]!.metadata).toEqual({ rows: 3, created: 3 });
  });

  async function maxSeq(): Promise<number> {
    await t.owner('SELECT bul_audit_seal($1)', [admin.orgId]);
    const { rows } = await t.owner<{ seq: number }>(
      'SELECT coalesce(max(seq), 0)::int AS seq FROM audit_events WHERE org_id = $1',
      [admin.orgId],
    );
    return rows[0]!.seq;
  }

  it('commits the same as XLSX (numbers and dates typed as cells)', async () => {
    const before = await snapshot(admin.orgId);
    const file = await xlsx([
      ['name', 'status', 'ownerEmail', 'tags'],
      ['Xlsx One', 'churned', manager.email, 'x;y'],
      [],
      ['Xlsx Two', 'lead', '', ''],
    ]);
    const res = await importFile(admin, 'clients', 'clients.xlsx', file);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ rowCount: 2, created: 2, valid: true });
    const { rows } = await t.owner(
      "SELECT name, status, owner_id, tags FROM clients WHERE org_id = $1 AND name LIKE 'Xlsx %' ORDER BY name",
      [admin.orgId],
    );
    expect(rows).toEqual([
      { name: 'Xlsx One', status: 'churned', owner_id: manager.userId, tags: ['x', 'y'] },
      { name: 'Xlsx Two', status: 'lead', owner_id: null, tags: [] },
    ]);
    expect((await snapshot(admin.orgId)).clients).toBe(before.clients + 2);

    // projects from XLSX: a numeric budget cell and real date cells
    const projects = await xlsx([
      ['name', 'status', 'client', 'budget', 'startDate', 'dueDate', 'ownerEmail'],
      [
        'Xlsx Project',
        'active',
        'beta industries',
        99.5,
        new Date(Date.UTC(2025, 2, 1)),
        new Date(Date.UTC(2025, 3, 30)),
        manager.email,
      ],
    ]);
    const pr = await importFile(manager, 'projects', 'projects.xlsx', projects);
    expect(pr.statusCode, pr.body).toBe(201);
    const p = await t.owner(
      "SELECT client_id, budget_minor, currency, start_date, due_date, status, owner_id FROM projects WHERE org_id = $1 AND name = 'Xlsx Project'",
      [admin.orgId],
    );
    expect(p.rows).toEqual([
      {
        client_id: ids.beta,
        budget_minor: 9950,
        currency: 'USD',
        start_date: '2025-03-01',
        due_date: '2025-04-30',
        status: 'active',
        owner_id: manager.userId,
      },
    ]);
  });

  it('a dry run of a good file answers 200 valid:true with what a commit would create, and stores NOTHING', async () => {
    const file = csv([
      ['project', 'title', 'assigneeEmail', 'priority', 'status', 'dueDate', 'estimateMinutes', 'tags'],
      ['Website relaunch', 'Dry one', dev.email, 'urgent', 'active', '2025-05-01', '30', 'x'],
      ['mobile app', 'Dry two', '', '', 'completed', '', '', ''],
    ]);
    const before = await snapshot(admin.orgId);
    const res = await importFile(admin, 'tasks', 'tasks.csv', file, { dryRun: true });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      dryRun: true,
      rowCount: 2,
      created: 2,
      valid: true,
      errorCount: 0,
      rowErrors: [],
    });
    expect(await snapshot(admin.orgId)).toEqual(before);
    const { rows } = await t.owner("SELECT 1 FROM tasks WHERE org_id = $1 AND title LIKE 'Dry %'", [
      admin.orgId,
    ]);
    expect(rows).toEqual([]);

    // the same file committed: both tasks, completedAt in step with the status
    const commit = await importFile(admin, 'tasks', 'tasks.csv', file, { dryRun: false });
    expect(commit.statusCode, commit.body).toBe(201);
    expect(commit.json()).toMatchObject({ dryRun: false, created: 2 });
    const tasks = await t.owner(
      `SELECT title, project_id, assignee_id, priority, status, due_date, estimate_minutes, tags, completed_at IS NOT NULL AS done
       FROM tasks WHERE org_id = $1 AND title LIKE 'Dry %' ORDER BY title`,
      [admin.orgId],
    );
    expect(tasks.rows).toEqual([
      {
        title: 'Dry one',
        project_id: ids.website,
        assignee_id: dev.userId,
        priority: 'urgent',
        status: 'active',
        due_date: '2025-05-01',
        estimate_minutes: 30,
        tags: ['x'],
        done: false,
      },
      {
        title: 'Dry two',
        project_id: ids.mobile,
        assignee_id: null,
        priority: 'medium',
        status: 'completed',
        due_date: null,
        estimate_minutes: null,
        tags: [],
        done: true,
      },
    ]);
    await t.owner("DELETE FROM tasks WHERE org_id = $1 AND title LIKE 'Dry %'", [admin.orgId]);
  });

  it('re-imports its own exports (id, createdAt and other export-only columns are ignored)', async () => {
    const fields = ['name', 'status', 'ownerEmail', 'email', 'phone', 'website', 'notes', 'tags'];
    const pick = (r: Record<string, unknown>) => Object.fromEntries(fields.map((f) => [f, r[f]]));

    // clients through XLSX (cells are typed there, nothing is prefixed): the same fields come back
    const exported = await exportOf(admin, 'clients', 'format=xlsx&status=active');
    const originals = JSON.parse(
      (await exportOf(admin, 'clients', 'format=json&status=active')).body,
    ) as Record<string, unknown>[];
    expect(originals.map((c) => c.id)).toContain(ids.acme);
    const before = await snapshot(admin.orgId);
    const res = await importFile(admin, 'clients', 'clients-export.xlsx', exported.rawPayload);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().created).toBe(originals.length);
    expect((await snapshot(admin.orgId)).clients).toBe(before.clients + originals.length);
    const now = JSON.parse((await exportOf(admin, 'clients', 'format=json&status=active')).body) as Record<
      string,
      unknown
    >[];
    const copies = now.filter((c) => !originals.some((o) => o.id === c.id));
    // the copies go again at once, so that client names stay unambiguous for what follows
    await t.owner('DELETE FROM clients WHERE org_id = $1 AND id = ANY($2::uuid[])', [
      admin.orgId,
      copies.map((c) => c.id),
    ]);
    expect(copies.map(pick)).toEqual(originals.map(pick));

    // projects: an active project with its client, owner, budget and dates comes back the same
    const projects = await exportOf(admin, 'projects', `format=csv&clientId=${ids.acme}`);
    const pr = await importFile(manager, 'projects', 'projects-export.csv', projects.rawPayload);
    expect(pr.statusCode, pr.body).toBe(201);
    expect(pr.json().created).toBe(1);
    const twins = await t.owner(
      `SELECT id, client_id, owner_id, budget_minor, currency, start_date, due_date, tags, status, description FROM projects
       WHERE org_id = $1 AND name = 'Website relaunch' ORDER BY created_at`,
      [admin.orgId],
    );
    // the copy goes again at once, so that project names stay unambiguous for the tests below
    await t.owner('DELETE FROM projects WHERE org_id = $1 AND id = ANY($2::uuid[]) AND id <> $3', [
      admin.orgId,
      twins.rows.map((r) => r.id),
      ids.website,
    ]);
    expect(twins.rows).toHaveLength(2);
    const { id: _a, ...first } = twins.rows[0]!;
    const { id: _b, ...second } = twins.rows[1]!;
    expect(second).toEqual(first);

    // tasks of one project, exported as XLSX and imported back
    const tasksX = await exportOf(admin, 'tasks', `format=xlsx&projectId=${ids.mobile}`);
    const t0 = await snapshot(admin.orgId);
    const tr = await importFile(admin, 'tasks', 'tasks-export.xlsx', tasksX.rawPayload);
    expect(tr.statusCode, tr.body).toBe(201);
    expect(tr.json().created).toBe(2);
    expect((await snapshot(admin.orgId)).tasks).toBe(t0.tasks + 2);
    const titles = await t.owner<{ title: string; n: number }>(
      'SELECT title, count(*)::int AS n FROM tasks WHERE org_id = $1 AND project_id = $2 GROUP BY title ORDER BY title',
      [admin.orgId, ids.mobile],
    );
    expect(titles.rows).toEqual([
      { title: 'App store listing', n: 2 },
      { title: 'Invoice scanner', n: 2 },
    ]);
  });

  // Regression: CSV exports prefix formula-like text with ' and imports take it off again, so an
  // export (phone numbers starting with +) imports back unchanged.
  it('re-imports its own CSV export of clients with the same values (phone numbers starting with +)', async () => {
    const fields = ['name', 'status', 'ownerEmail', 'email', 'phone', 'website', 'notes', 'tags'];
    const pick = (r: Record<string, unknown>) => Object.fromEntries(fields.map((f) => [f, r[f]]));
    const originals = JSON.parse((await exportOf(admin, 'clients', `format=json&q=acme`)).body) as Record<
      string,
      unknown
    >[];
    expect(originals.map((c) => c.id)).toEqual([ids.acme]);
    const exported = await exportOf(admin, 'clients', 'format=csv&q=acme');
    const res = await importFile(admin, 'clients', 'clients-export.csv', exported.rawPayload);
    const now = JSON.parse((await exportOf(admin, 'clients', `format=json&q=acme`)).body) as Record<
      string,
      unknown
    >[];
    const copies = now.filter((c) => c.id !== ids.acme);
    await t.owner('DELETE FROM clients WHERE org_id = $1 AND id = ANY($2::uuid[])', [
      admin.orgId,
      copies.map((c) => c.id),
    ]);
    expect(res.statusCode, res.body).toBe(201);
    expect(copies.map(pick)).toEqual(originals.map(pick));
  });
});

// ---- import: bad rows ---------------------------------------------------------------------------

describe('import of bad rows: every bad row listed, nothing stored', () => {
  /** Commit (422) and dry run (200 valid:false) of the same file agree; nothing is stored by either. */
  async function rejectBoth(
    s: Session,
    resource: Resource,
    filename: string,
    content: string | Buffer,
  ): Promise<RowError[]> {
    const before = await snapshot(admin.orgId);
    const errors = expectImportInvalid(await importFile(s, resource, filename, content));
    expect(await snapshot(admin.orgId)).toEqual(before);
    const dry = await importFile(s, resource, filename, content, { dryRun: true });
    expect(dry.statusCode, dry.body).toBe(200);
    const report = dry.json();
    expect(report).toMatchObject({ dryRun: true, valid: false, created: 0, errorCount: errors.length });
    expect(report.rowErrors).toEqual(errors);
    expect(await snapshot(admin.orgId)).toEqual(before);
    return errors;
  }

  it('clients: bad status, bad e-mail, missing name → every cell named (header = row 1)', async () => {
    const errors = await rejectBoth(
      admin,
      'clients',
      'bad-clients.csv',
      csv([
        ['name', 'status', 'email', 'ownerEmail'],
        ['Fine client', 'lead', 'ok@example.com', ''],
        ['Bad status', 'prospect', '', ''],
        ['Bad email', 'lead', 'not-an-email', ''],
        ['', 'active', '', ''],
        ['Two at once', 'gone', 'nope', ''],
      ]),
    );
    expect(cells(errors)).toEqual(['3:status', '4:email', '5:name', '6:email', '6:status']);
    expect(message(errors, 3, 'status')).toBe('must be one of: lead, active, churned (got "prospect")');
    expect(message(errors, 4, 'email')).toMatch(/must be an e-mail address/);
    expect(message(errors, 5, 'name')).toBe('is required');
  });

  it('clients: an owner who is not a member, or a member of another organization → row errors on ownerEmail', async () => {
    const errors = await rejectBoth(
      admin,
      'clients',
      'owners.csv',
      csv([
        ['name', 'ownerEmail'],
        ['Owned by dev', dev.email],
        ['Owned by nobody', 'nobody@nowhere.example'],
        ['Owned by B', otherDev.email],
        ['Owned by B admin', other.email.toUpperCase()],
      ]),
    );
    expect(cells(errors)).toEqual(['3:ownerEmail', '4:ownerEmail', '5:ownerEmail']);
    expect(message(errors, 4, 'ownerEmail')).toBe('is not a member of this organization');
  });

  it('projects: bad date, negative budget, due before start, unknown and ambiguous client, foreign currency, stranger owner', async () => {
    await created(admin, '/clients', { name: 'Twin Client' });
    await created(admin, '/clients', { name: 'twin client' });
    const errors = await rejectBoth(
      manager,
      'projects',
      'bad-projects.csv',
      csv([
        ['Name', 'Budget', 'Currency', 'Start date', 'Due date', 'Client', 'Owner email'],
        ['Fine project', '10.00', 'usd', '2025-01-01', '2025-02-01', 'Acme Corporation', manager.email],
        ['Bad date', '', '', '2025-02-30', '', '', ''],
        ['Negative budget', '-5.00', '', '', '', '', ''],
        ['Too precise', '1.234', '', '', '', '', ''],
        ['Backwards', '', '', '2025-03-01', '2025-02-01', '', ''],
      ]),
    );
    expect(cells(errors)).toEqual(['3:Start date', '4:Budget', '5:Budget', '6:Due date']);
    expect(message(errors, 3, 'Start date')).toBe('is not a calendar date (2025-02-30)');
    expect(message(errors, 4, 'Budget')).toBe('must be at least 0.00');
    expect(message(errors, 5, 'Budget')).toBe('must have at most 2 decimals');
    expect(message(errors, 6, 'Due date')).toBe('is before the start date 2025-03-01');

    const refs = await rejectBoth(
      manager,
      'projects',
      'project-refs.csv',
      csv([
        ['name', 'client', 'currency', 'ownerEmail', 'budget'],
        ['Fine project', 'acme corporation', 'USD', '', '1'],
        ['No such client', 'Nobody Inc', '', '', ''],
        ['Ambiguous client', 'TWIN CLIENT', '', '', ''],
        ['Euro budget', '', 'EUR', '', '100'],
        ['Stranger owner', '', '', otherDev.email, ''],
        ['B client', 'Other Org Client', '', '', ''],
      ]),
    );
    expect(cells(refs)).toEqual(['3:client', '4:client', '5:currency', '6:ownerEmail', '7:client']);
    expect(message(refs, 3, 'client')).toBe('no client is called "Nobody Inc"');
    expect(message(refs, 4, 'client')).toBe('2 clients are called "TWIN CLIENT"');
    expect(message(refs, 5, 'currency')).toMatch(/USD/);
    expect(message(refs, 7, 'client')).toBe('no client is called "Other Org Client"');
  });

  it('tasks: unknown and ambiguous project, assignee from another organization, bad priority, missing title, negative estimate', async () => {
    await created(admin, '/projects', { name: 'Twin project' });
    await created(admin, '/projects', { name: 'Twin Project' });
    const cellErrors = await rejectBoth(
      admin,
      'tasks',
      'bad-tasks.csv',
      csv([
        ['project', 'title', 'priority', 'estimateMinutes', 'status', 'dueDate'],
        ['Website relaunch', 'Fine', 'low', '10', 'pending', '2025-01-31'],
        ['Website relaunch', 'Bad priority', 'critical', '', '', ''],
        ['Website relaunch', '', '', '', '', ''],
        ['Website relaunch', 'Negative', '', '-1', '', ''],
        ['', 'No project', '', '', 'done', '31/01/2025'],
      ]),
    );
    expect(cells(cellErrors)).toEqual([
      '3:priority',
      '4:title',
      '5:estimateMinutes',
      '6:dueDate',
      '6:project',
      '6:status',
    ]);
    expect(message(cellErrors, 5, 'estimateMinutes')).toBe('must be at least 0');
    expect(message(cellErrors, 6, 'dueDate')).toBe('must be a date as YYYY-MM-DD (got "31/01/2025")');

    const refs = await rejectBoth(
      admin,
      'tasks',
      'task-refs.csv',
      csv([
        ['project', 'title', 'assigneeEmail'],
        ['Website relaunch', 'Fine', dev.email],
        ['Mobile app', 'Fine too', ''],
        ['Nowhere', 'Unknown project', ''],
        ['twin PROJECT', 'Ambiguous project', ''],
        ['Mobile app', 'Stranger', otherDev.email],
        ['Mobile app', 'Last row fails, earlier rows were created in the transaction', 'ghost@example.com'],
      ]),
    );
    expect(cells(refs)).toEqual(['4:project', '5:project', '6:assigneeEmail', '7:assigneeEmail']);
    expect(message(refs, 4, 'project')).toBe('no project is called "Nowhere"');
    expect(message(refs, 5, 'project')).toBe('2 projects are called "twin PROJECT"');
    expect(message(refs, 6, 'assigneeEmail')).toBe('is not a member of this organization');
  });

  // Regression: rows whose cells pass are still checked against names and create rules when other
  // rows have bad cells, so one dry run lists every problem.
  it('lists EVERY bad row of a file mixing bad cells and bad references (one dry run is enough)', async () => {
    const errors = await rejectBoth(
      manager,
      'projects',
      'mixed.csv',
      csv([
        ['name', 'status', 'budget', 'startDate', 'dueDate', 'client', 'currency', 'ownerEmail'],
        ['Fine', 'active', '1.00', '', '', 'Acme Corporation', '', ''],
        ['Bad status', 'done', '', '', '', '', '', ''],
        ['Bad date', '', '', '2025-13-01', '', '', '', ''],
        ['Negative', '', '-1', '', '', '', '', ''],
        ['Backwards', '', '', '2025-03-01', '2025-01-01', '', '', ''],
        ['Unknown client', '', '', '', '', 'Nobody Inc', '', ''],
        ['Ambiguous client', '', '', '', '', 'Twin Client', '', ''],
        ['Euro', '', '5', '', '', '', 'EUR', ''],
        ['Stranger', '', '', '', '', '', '', otherDev.email],
        ['', '', '', '', '', '', '', ''],
        ['Bad owner email', '', '', '', '', '', '', 'not-an-email'],
      ]),
    );
    expect(cells(errors)).toEqual([
      '10:ownerEmail',
      '12:ownerEmail',
      '3:status',
      '4:startDate',
      '5:budget',
      '6:dueDate',
      '7:client',
      '8:client',
      '9:currency',
    ]);
  });

  it('names an unknown column and a missing required column at row 1', async () => {
    const unknown = await rejectBoth(
      admin,
      'clients',
      'unknown.csv',
      csv([
        ['name', 'Colour'],
        ['Painted', 'blue'],
      ]),
    );
    expect(unknown).toEqual([
      {
        row: 1,
        column: 'Colour',
        message: expect.stringMatching(/^unknown column; the columns are: name, status, ownerEmail/),
      },
    ]);
    const missing = await rejectBoth(admin, 'tasks', 'missing.csv', csv([['title'], ['No project column']]));
    expect(missing).toEqual([{ row: 1, column: 'project', message: 'this required column is missing' }]);
  });

  it('numbers XLSX rows as the sheet does (blank rows counted), typed cells checked the same way', async () => {
    const file = await xlsx([
      ['name', 'status', 'email'],
      ['Good', 'lead', 'a@b.example'],
      [],
      ['Bad', 'wrong', 42],
    ]);
    const errors = await rejectBoth(admin, 'clients', 'rows.xlsx', file);
    expect(cells(errors)).toEqual(['4:email', '4:status']);
    expect(message(errors, 4, 'email')).toBe('must be an e-mail address (got "42")');
  });

  it('caps the listed errors at 1,000 but counts them all (errorCount, truncated)', async () => {
    const file = `name,status\n${Array.from({ length: 1005 }, (_, i) => `C${i},bogus`).join('\n')}\n`;
    const before = await snapshot(admin.orgId);
    const body = expectProblem(
      await importFile(admin, 'clients', 'many-bad.csv', file),
      422,
      'import-invalid',
    );
    expect(body.errorCount).toBe(1005);
    expect(body.rowErrors).toHaveLength(1000);
    expect(body.truncated).toBe(true);
    expect(body.detail).toMatch(/^row 2, column status: .* \(and 1004 more\)$/);
    expect(body.rowErrors[999]).toMatchObject({ row: 1001, column: 'status' });
    const dry = await importFile(admin, 'clients', 'many-bad.csv', file, { dryRun: true });
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toMatchObject({ valid: false, errorCount: 1005, rowCount: 1005, created: 0 });
    expect(dry.json().rowErrors).toHaveLength(1000);
    expect(await snapshot(admin.orgId)).toEqual(before);
  });

  it('numbers rows as a spreadsheet does (blank lines and multi-line cells counted)', async () => {
    const file = 'name,status\r\nGood,lead\r\n\r\n"Two\r\nlines",lead\r\nBad,wrong\r\n';
    const errors = await rejectBoth(admin, 'clients', 'rows.csv', file);
    expect(errors).toEqual([{ row: 5, column: 'status', message: expect.stringContaining('wrong') }]);
  });
});

// ---- import: bad files --------------------------------------------------------------------------

describe('import of bad files', () => {
  it('a CSV with an unterminated quote is 422 invalid-file naming the line; nothing stored', async () => {
    const before = await snapshot(admin.orgId);
    const body = expectProblem(
      await importFile(admin, 'clients', 'broken.csv', 'name,status\nGood,lead\n"Broken,lead\nAfter,lead\n'),
      422,
      'invalid-file',
    );
    expect(body.detail).toMatch(/malformed at line \d+: Quote Not Closed/);
    expect(await snapshot(admin.orgId)).toEqual(before);
  });

  it('a CSV in Latin-1 is refused (415 at the upload gate: not UTF-8); nothing stored', async () => {
    const before = await snapshot(admin.orgId);
    const body = expectProblem(
      await importFile(admin, 'clients', 'latin1.csv', Buffer.from('name\nCaf\xe9\n', 'latin1')),
      415,
      'unsupported-file',
    );
    expect(body.detail).toMatch(/not UTF-8/);
    expect(await snapshot(admin.orgId)).toEqual(before);
  });

  it('an .xlsx that is plain text, or a plain zip, is refused with 415 unsupported-file; nothing stored', async () => {
    // NOTE: the import route's OpenAPI text says "an XLSX that is not one ... is 422 invalid-file";
    // the upload gate (platform/http/uploads.ts) answers first with 415 unsupported-file.
    const before = await snapshot(admin.orgId);
    const text = expectProblem(
      await importFile(admin, 'clients', 'clients.xlsx', 'name,status\nAcme,lead\n'),
      415,
      'unsupported-file',
    );
    expect(text.detail).toMatch(/named \.xlsx/);
    const zip = expectProblem(
      await importFile(admin, 'clients', 'clients.xlsx', buildZip([deflated('hello.txt', 'hi')])),
      415,
      'unsupported-file',
    );
    expect(zip.detail).toMatch(/ZIP/);
    expect(await snapshot(admin.orgId)).toEqual(before);
  });

  it('an XLSX zip bomb (200 MB of zeros in a small file) is 422 invalid-file; nothing stored', async () => {
    const bomb = buildZip([
      ...xlsxParts([
        ['name', 'status'],
        ['Boom', 'lead'],
      ]),
      zerosBomb('xl/worksheets/sheet2.xml', 200),
    ]);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const before = await snapshot(admin.orgId);
    const body = expectProblem(await importFile(admin, 'clients', 'bomb.xlsx', bomb), 422, 'invalid-file');
    expect(body.detail).toMatch(/zip bomb/);
    expect(body.reason).toBe('zip-bomb');
    expectProblem(
      await importFile(admin, 'clients', 'bomb.xlsx', bomb, { dryRun: true }),
      422,
      'invalid-file',
    );
    expect(await snapshot(admin.orgId)).toEqual(before);
    // the hand-made workbook itself is fine without the bomb
    const ok = await importFile(
      admin,
      'clients',
      'small.xlsx',
      buildZip(
        xlsxParts([
          ['name', 'status'],
          ['Hand made', 'lead'],
        ]),
      ),
      { dryRun: true },
    );
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ valid: true, created: 1 });
  });

  it('a .txt (or any non CSV/XLSX) file is 415 naming csv and xlsx; a JSON body is 415', async () => {
    const before = await snapshot(admin.orgId);
    const body = expectProblem(
      await importFile(admin, 'clients', 'clients.txt', 'name\nAcme\n'),
      415,
      'unsupported-file',
    );
    expect(body.allowedExtensions).toEqual(['csv', 'xlsx']);
    expectProblem(
      await api(t, admin, 'POST', '/clients/import', { rows: [{ name: 'x' }] }),
      415,
      'unsupported-media-type',
    );
    const empty = expectProblem(
      await importFile(admin, 'clients', 'empty.csv', ''),
      400,
      'validation-failed',
    );
    expect(empty.errors[0]).toMatchObject({ field: 'file', rule: 'minSize' });
    const headerOnly = expectProblem(
      await importFile(admin, 'clients', 'blank.csv', '\n\n'),
      422,
      'invalid-file',
    );
    expect(headerOnly.detail).toMatch(/empty/);
    expect(await snapshot(admin.orgId)).toEqual(before);
  });

  it('a bad dryRun value is 400 naming dryRun', async () => {
    const body = expectProblem(
      await importFile(admin, 'clients', 'c.csv', 'name\nX\n', { dryRun: 'maybe' as unknown as boolean }),
      400,
      'validation-failed',
    );
    expect(body.errors.map((e: { field: string }) => e.field)).toContain('dryRun');
  });
});

// ---- import: who and where ----------------------------------------------------------------------

describe('import permissions and organizations', () => {
  it('refuses a developer importing tasks (tasks:manage) and a viewer importing clients (clients:manage); nothing stored', async () => {
    const before = await snapshot(admin.orgId);
    const file = csv([
      ['project', 'title'],
      ['Website relaunch', 'By a developer'],
    ]);
    const b1 = expectProblem(await importFile(dev, 'tasks', 'tasks.csv', file), 403, 'forbidden');
    expect(b1.permission).toBe('tasks:manage');
    const b2 = expectProblem(
      await importFile(viewer, 'clients', 'c.csv', 'name\nBy a viewer\n'),
      403,
      'forbidden',
    );
    expect(b2.permission).toBe('clients:manage');
    const b3 = expectProblem(
      await importFile(dev, 'projects', 'p.csv', 'name\nBy a developer\n', { dryRun: true }),
      403,
      'forbidden',
    );
    expect(b3.permission).toBe('projects:manage');
    expect(await snapshot(admin.orgId)).toEqual(before);
  });

  it('resolves names inside the importer’s organization only', async () => {
    // B has a project called "Website relaunch" too: B's import lands in B's project, never A's
    const aBefore = await snapshot(admin.orgId);
    const res = await importFile(
      other,
      'tasks',
      'b-tasks.csv',
      csv([
        ['project', 'title', 'assigneeEmail'],
        ['Website relaunch', 'B imported task', otherDev.email],
      ]),
    );
    expect(res.statusCode, res.body).toBe(201);
    expect(await snapshot(admin.orgId)).toEqual(aBefore);
    const { rows } = await t.owner(
      "SELECT t.org_id, p.org_id AS project_org FROM tasks t JOIN projects p ON p.id = t.project_id WHERE t.title = 'B imported task'",
    );
    expect(rows).toEqual([{ org_id: other.orgId, project_org: other.orgId }]);
    // A's project names mean nothing to B
    const refused = expectImportInvalid(
      await importFile(
        other,
        'tasks',
        'b2.csv',
        csv([
          ['project', 'title'],
          ['Mobile app', 'Into A?'],
        ]),
      ),
    );
    expect(refused).toEqual([{ row: 2, column: 'project', message: 'no project is called "Mobile app"' }]);
  });
});

describe('IMPORT_MAX_ROWS', () => {
  let small: TestApp;
  let smallDir: string;
  let owner: Session;

  beforeAll(async () => {
    smallDir = await mkdtemp(path.join(os.tmpdir(), 'bul-bulk-small-'));
    small = await createTestApp({ BUL_DATA_DIR: smallDir, IMPORT_MAX_ROWS: '5' });
    owner = await signUp(small, { orgName: 'Few rows' });
  });
  afterAll(async () => {
    await small?.close();
    if (smallDir) await rm(smallDir, { recursive: true, force: true });
  });

  it('refuses more rows than IMPORT_MAX_ROWS with 422 naming the limit and the count; the limit itself is fine', async () => {
    const rows = (n: number) =>
      `name\n${Array.from({ length: n }, (_, i) => `Client ${i + 1}`).join('\n')}\n`;
    const before = await snapshot(owner.orgId, small);
    for (const dryRun of [false, true]) {
      const body = expectProblem(
        await importFile(owner, 'clients', 'many.csv', rows(6), { dryRun, app: small }),
        422,
        'invalid-file',
      );
      expect(body.limit).toBe(5);
      expect(body.rows).toBe(6);
      expect(body.detail).toBe(
        'the file has 6 data rows; at most 5 can be imported at once (IMPORT_MAX_ROWS)',
      );
    }
    const asXlsx = await xlsx([['name'], ...Array.from({ length: 7 }, (_, i) => [`X ${i}`])]);
    const xb = expectProblem(
      await importFile(owner, 'clients', 'many.xlsx', asXlsx, { app: small }),
      422,
      'invalid-file',
    );
    expect(xb).toMatchObject({ limit: 5, rows: 7 });
    expect(await snapshot(owner.orgId, small)).toEqual(before);

    const ok = await importFile(owner, 'clients', 'five.csv', rows(5), { app: small });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().created).toBe(5);
  });
});

describe('temporary files', () => {
  it('leaves nothing in the incoming directory after all those imports', async () => {
    expect(await settledIncoming()).toBe(0);
  });
});

// The CSV of tasks is written by PostgreSQL (COPY) rather than row by row in JavaScript: its cells
// must be exactly those the row-by-row writer makes of the same rows (the JSON export's values).
describe('CSV of tasks written by the database', () => {
  /** The CSV the row-by-row writer makes of these rows: exportText, formulas neutralised, RFC 4180, CRLF. */
  function expectedCsv(rows: Record<string, unknown>[]): string {
    const keys = TASK_EXPORT_COLUMNS.map((c) => c.key);
    const cell = (v: unknown) => {
      const text = exportText(v);
      return typeof v === 'string' ? neutralizeFormula(text) : text;
    };
    return `\ufeff${stringifyCsv([keys, ...rows.map((r) => keys.map((k) => cell(r[k])))], { record_delimiter: 'windows' })}`;
  }

  it('has the cells of the JSON export, formatted as the row-by-row writer does, for any filter', async () => {
    const project = await created(admin, '/projects', { name: '=Tricky, "quoted"\nproject' });
    for (const task of [
      {
        title: '@mention first',
        description: 'Line one\nline "two", with a comma\r\nand CRLF',
        tags: ['=x', '-y'],
      },
      { title: '\tTabbed', description: '', estimateMinutes: 0, dueDate: '2026-02-28' },
      { title: '-5 degrees', status: 'completed', assigneeId: dev.userId, tags: ['plain'] },
      { title: 'Ünïcödé 日本 "quotes" only', description: '=1+1', priority: 'urgent' },
    ])
      await created(admin, '/tasks', { projectId: project, ...task });

    for (const filter of [
      '',
      `projectId=${project}`,
      'status=completed',
      'q=invoice',
      'tag=%3Dx',
      'priority=urgent',
    ]) {
      const json = JSON.parse((await exportOf(admin, 'tasks', `format=json&${filter}`)).body) as Record<
        string,
        unknown
      >[];
      const csv = await exportOf(admin, 'tasks', `format=csv&${filter}`);
      expect(csv.statusCode, csv.body).toBe(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(csv.rawPayload.toString('utf8'), filter).toBe(expectedCsv(json));
    }
    // another organization's CSV: its own rows only, none of these
    const theirJson = JSON.parse((await exportOf(other, 'tasks', 'format=json')).body) as Record<
      string,
      unknown
    >[];
    const theirs = (await exportOf(other, 'tasks', 'format=csv')).rawPayload.toString('utf8');
    expect(theirs).toBe(expectedCsv(theirJson));
    expect(theirs).not.toContain('Tricky');
    expect(theirs).not.toContain(project);
  });
});

// ---- issue 14: exports import back as they were ---------------------------------------------------

describe('round trips: what BUL exports, BUL imports (issue 14)', () => {
  type Row = Record<string, unknown>;
  const jsonOf = async (s: Session, resource: Resource): Promise<Row[]> => {
    const res = await exportOf(s, resource, 'format=json');
    expect(res.statusCode, res.body).toBe(200);
    return JSON.parse(res.body) as Row[];
  };
  /** The rows without what a restore makes anew (ids, creation times), in name order. */
  const comparable = (rows: Row[], drop: string[], by: string) =>
    rows
      .map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !drop.includes(k))))
      .sort((a, b) => String(a[by]).localeCompare(String(b[by])));

  async function patch(s: Session, url: string, payload: Record<string, unknown>) {
    const res = await api(t, s, 'PATCH', url, payload);
    expect(res.statusCode, `${url} ${res.body}`).toBe(200);
  }

  // Item 11: 10 of 21 exported projects failed with `status must be one of: planning, active`.
  it('projects in every status, with clients and tasks, come back from CSV and XLSX exports into a fresh organization', async () => {
    const src = await signUp(t, { orgName: 'Round trip source' });
    const clientId = await created(src, '/clients', {
      name: 'Restore Client',
      status: 'active',
      ownerId: src.userId,
      phone: '+55 11 91234-5678',
      notes: '\tindented with a tab',
      tags: ['br'],
    });
    const project = (name: string, extra: Record<string, unknown> = {}) =>
      created(src, '/projects', { name, clientId, ownerId: src.userId, ...extra });
    await project('P1 planning', {
      budgetMinor: 100,
      startDate: '2025-01-01',
      dueDate: '2025-02-01',
      tags: ['a'],
    });
    await project('P2 active', {
      status: 'active',
      budgetMinor: 123_456,
      description: '\tstarts with a tab\nand =1+1 on a second line',
    });
    const onHold = await project('P3 on hold', { status: 'active' });
    await patch(src, `/projects/${onHold}`, { status: 'on_hold' });
    const done = await project('P4 completed', { status: 'active', budgetMinor: 5000, tags: ['x', 'y'] });
    for (const status of ['completed', 'completed', 'cancelled', 'pending'])
      await created(src, '/tasks', { projectId: done, title: `Task ${status}`, status });
    await patch(src, `/projects/${done}`, { status: 'completed' });
    const overridden = await project('P5 completed with override', {
      status: 'active',
      progressOverride: 80,
    });
    await patch(src, `/projects/${overridden}`, { status: 'completed' });
    const cancelled = await project('P6 cancelled', { description: '+ not a formula' });
    await patch(src, `/projects/${cancelled}`, { status: 'cancelled' });

    const projects = await jsonOf(src, 'projects');
    expect(projects.map((p) => p.status).sort()).toEqual([
      'active',
      'cancelled',
      'completed',
      'completed',
      'on_hold',
      'planning',
    ]);
    const p4 = projects.find((p) => p.name === 'P4 completed')!;
    expect(p4.completedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(p4.progress).toBe(66); // 2 of 3 tasks that count (cancelled ones do not)

    for (const format of ['csv', 'xlsx'] as const) {
      const dest = await signUp(t, { orgName: `Round trip ${format}` });
      await addMember(t, dest, 'manager', src.email); // the owner, in the new organization too
      // in the order a restore needs: clients (named by projects), projects (named by tasks), tasks
      for (const resource of ['clients', 'projects', 'tasks'] as const) {
        const file = await exportOf(src, resource, `format=${format}`);
        expect(file.statusCode, file.body).toBe(200);
        const res = await importFile(dest, resource, `${resource}.${format}`, file.rawPayload);
        expect(res.statusCode, `${format} ${resource}: ${res.body}`).toBe(201);
      }
      const clientDrop = ['id', 'leadAt', 'activeAt', 'churnedAt', 'createdAt', 'updatedAt'];
      expect(comparable(await jsonOf(dest, 'clients'), clientDrop, 'name'), format).toEqual(
        comparable(await jsonOf(src, 'clients'), clientDrop, 'name'),
      );
      // every field a project export has, completedAt to the millisecond and progress included
      expect(comparable(await jsonOf(dest, 'projects'), ['id', 'createdAt'], 'name'), format).toEqual(
        comparable(projects, ['id', 'createdAt'], 'name'),
      );
      // tasks, with the completion time of the completed ones
      const restoredTasks = await jsonOf(dest, 'tasks');
      expect(comparable(restoredTasks, ['id', 'createdAt'], 'title'), format).toEqual(
        comparable(await jsonOf(src, 'tasks'), ['id', 'createdAt'], 'title'),
      );
      expect(restoredTasks.filter((r) => r.completedAt !== null).map((r) => r.status)).toEqual([
        'completed',
        'completed',
      ]);

      // the status machine still rules moves of the restored projects, and creating stays planning|active
      const list = await api(t, dest, 'GET', '/projects?status=completed&sort=name');
      const restoredDone = (list.json().items as { id: string; name: string }[]).find(
        (p) => p.name === 'P4 completed',
      )!;
      const move = await api(t, dest, 'PATCH', `/projects/${restoredDone.id}`, { status: 'on_hold' });
      expectProblem(move, 409, 'invalid-transition');
      expectFieldError(
        await api(t, dest, 'POST', '/projects', { name: 'Direct', status: 'completed' }),
        'status',
      );
    }
  });

  it('project and task imports refuse an unknown status and a completion time on a row that is not completed (422 naming row and column)', async () => {
    const before = await snapshot(admin.orgId);
    const res = await importFile(
      manager,
      'projects',
      'statuses.csv',
      csv([
        ['name', 'status', 'completedAt'],
        ['Finished one', 'finished', ''],
        ['Active but completed', 'active', '2025-03-04T05:06:07.123Z'],
        ['Bad time', 'completed', '2025-02-30T10:00:00Z'],
        ['Good one', 'COMPLETED', '2025-03-04 05:06'],
      ]),
    );
    const errors = expectImportInvalid(res);
    expect(cells(errors)).toEqual(['2:status', '3:completedAt', '4:completedAt']);
    expect(message(errors, 2, 'status')).toBe(
      'must be one of: planning, active, on_hold, completed, cancelled (got "finished")',
    );
    expect(message(errors, 3, 'completedAt')).toContain('only a completed project has a completion time');
    expect(message(errors, 4, 'completedAt')).toContain('not a calendar date');
    const taskErrors = expectImportInvalid(
      await importFile(
        admin,
        'tasks',
        'statuses.csv',
        csv([
          ['project', 'title', 'status', 'completedAt'],
          ['Website relaunch', 'Done', 'done', ''],
          ['Website relaunch', 'Pending but completed', '', '2025-03-04T05:06:07Z'],
          ['Website relaunch', 'Good', 'completed', '2025-03-04T05:06:07+02:00'],
        ]),
      ),
    );
    expect(cells(taskErrors)).toEqual(['2:status', '3:completedAt']);
    expect(message(taskErrors, 3, 'completedAt')).toBe(
      'must be empty: only a completed task has a completion time (the status is pending)',
    );
    expect(await snapshot(admin.orgId)).toEqual(before);
    // the completion time of a file is kept (a zone is honoured); a completed row without one gets now
    const ok = await importFile(
      admin,
      'tasks',
      'restore.csv',
      csv([
        ['project', 'title', 'status', 'completedAt'],
        ['Mobile app', 'Restored done', 'completed', '2025-03-04T05:06:07.5+02:00'],
        ['Mobile app', 'Restored done now', 'completed', ''],
      ]),
    );
    expect(ok.statusCode, ok.body).toBe(201);
    const { rows } = await t.owner<{ title: string; completed_at: Date }>(
      "SELECT title, completed_at FROM tasks WHERE org_id = $1 AND title LIKE 'Restored done%' ORDER BY title",
      [admin.orgId],
    );
    expect(rows[0]!.completed_at.toISOString()).toBe('2025-03-04T03:06:07.500Z');
    expect(Math.abs(rows[1]!.completed_at.getTime() - Date.now())).toBeLessThan(60_000);
    await t.owner("DELETE FROM tasks WHERE org_id = $1 AND title LIKE 'Restored done%'", [admin.orgId]);
  });

  it("text starting with a tab, with ' before =, or with + comes back the same from CSV and XLSX exports", async () => {
    const s = await signUp(t, { orgName: 'Escapes' });
    const notes = [
      '\tTabbed notes',
      "'=quoted formula",
      "''@two quotes",
      '+55 11 3333-4444',
      '\nstarts with a line break',
      'trailing tab\t',
    ];
    for (const [i, n] of notes.entries()) await created(s, '/clients', { name: `Escape ${i}`, notes: n });
    const drop = ['id', 'leadAt', 'createdAt', 'updatedAt'];
    const original = comparable(await jsonOf(s, 'clients'), drop, 'name');
    // the CSV escapes what spreadsheets would run, and escapes the escape
    const csvText = (await exportOf(s, 'clients', 'format=csv')).rawPayload.toString('utf8');
    expect(csvText).toContain(",'\tTabbed notes,");
    expect(csvText).toContain(",''=quoted formula,");
    expect(csvText).toContain(",'''@two quotes,");
    for (const format of ['csv', 'xlsx']) {
      const file = await exportOf(s, 'clients', `format=${format}`);
      await t.owner('DELETE FROM clients WHERE org_id = $1', [s.orgId]);
      const res = await importFile(s, 'clients', `clients.${format}`, file.rawPayload);
      expect(res.statusCode, res.body).toBe(201);
      expect(comparable(await jsonOf(s, 'clients'), drop, 'name'), format).toEqual(original);
    }
    // CSV written by the database (tasks) escapes the same way
    const projectId = await created(s, '/projects', { name: 'Escapes project' });
    for (const title of notes) await created(s, '/tasks', { projectId, title });
    const tasks = comparable(await jsonOf(s, 'tasks'), ['id', 'createdAt'], 'title');
    const tasksCsv = await exportOf(s, 'tasks', 'format=csv');
    expect(tasksCsv.rawPayload.toString('utf8')).toContain(",''=quoted formula,");
    await t.owner('DELETE FROM tasks WHERE org_id = $1', [s.orgId]);
    const res = await importFile(s, 'tasks', 'tasks.csv', tasksCsv.rawPayload);
    expect(res.statusCode, res.body).toBe(201);
    expect(comparable(await jsonOf(s, 'tasks'), ['id', 'createdAt'], 'title')).toEqual(tasks);
  });

  it('XLSX money is a number in major units with the number format of the currency (USD, JPY, BHD), and imports back', async () => {
    for (const [currency, minor, major, format] of [
      ['USD', 123_456, 1234.56, '#,##0.00 "USD"'],
      ['JPY', 123_456, 123_456, '#,##0 "JPY"'],
      ['BHD', 123_456, 123.456, '#,##0.000 "BHD"'],
    ] as const) {
      const s = await signUp(t, { orgName: `Money ${currency}` });
      await t.owner('UPDATE organizations SET currency = $2 WHERE id = $1', [s.orgId, currency]);
      await created(s, '/projects', { name: `Budget in ${currency}`, budgetMinor: minor, currency });
      const res = await exportOf(s, 'projects', 'format=xlsx');
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
      const budget = wb.worksheets[0]!.getRow(2).getCell(7);
      expect(budget.value, currency).toBe(major);
      expect(budget.numFmt, currency).toBe(format);
      expect(wb.worksheets[0]!.getRow(2).getCell(9).value).toBe(currency);
      await t.owner('DELETE FROM projects WHERE org_id = $1', [s.orgId]);
      const back = await importFile(s, 'projects', 'projects.xlsx', res.rawPayload);
      expect(back.statusCode, back.body).toBe(201);
      const { rows } = await t.owner('SELECT budget_minor, currency FROM projects WHERE org_id = $1', [
        s.orgId,
      ]);
      expect(rows, currency).toEqual([{ budget_minor: minor, currency }]);
    }
  });
});

// Item 12: LibreOffice keeps the ' of a CSV export's '+55 … in the cell when it turns the CSV into XLSX.
describe('XLSX cells with the formula escape of a CSV export', () => {
  it("lose the ' as CSV cells do (phones starting with +), and keep a ' that is the text's own", async () => {
    const s = await signUp(t, { orgName: 'Apostrophes' });
    const file = await xlsx([
      ['name', 'phone', 'notes'],
      ['Quote One', "'+55 11 98765-4321", "''=not a formula"],
      ['Quote Two', "'+1 415 555 0100", "'plain quote stays"],
      ['Quote Three', '', "'-5 degrees"],
      ['Quote Four', '', "'@mention"],
    ]);
    const res = await importFile(s, 'clients', 'libreoffice.xlsx', file);
    expect(res.statusCode, res.body).toBe(201);
    const { rows } = await t.owner('SELECT name, phone, notes FROM clients WHERE org_id = $1 ORDER BY name', [
      s.orgId,
    ]);
    expect(rows).toEqual([
      { name: 'Quote Four', phone: null, notes: '@mention' },
      { name: 'Quote One', phone: '+55 11 98765-4321', notes: "'=not a formula" },
      { name: 'Quote Three', phone: null, notes: '-5 degrees' },
      { name: 'Quote Two', phone: '+1 415 555 0100', notes: "'plain quote stays" },
    ]);
  });
});

// Item 13: Excel and LibreOffice in Spanish or Portuguese save CSV with ";" (a decimal comma locale).
describe('CSV separators: comma, semicolon or tab, found from the header row', () => {
  it('imports a semicolon file and a tab file, with quoted values holding the other separators', async () => {
    const s = await signUp(t, { orgName: 'Separators' });
    const semicolon =
      '\ufeffname;status;notes;tags\r\n' +
      '"Acme; Ltda.";active;"said ""hi""; then\tleft, twice";x,y\r\n' +
      'Plain SA;lead;a, b (Excel quotes only what holds the separator);\r\n';
    const res = await importFile(s, 'clients', 'clientes.csv', semicolon);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ rowCount: 2, created: 2 });
    const tab =
      'name\tstatus\tnotes\ttags\n' +
      '"Tab\tInside, Corp; Inc"\tchurned\t"line one\nline two"\tz\n' +
      'Tab Two\t\tcommas, and; semicolons\t\n';
    const res2 = await importFile(s, 'clients', 'clients.csv', tab);
    expect(res2.statusCode, res2.body).toBe(201);
    const { rows } = await t.owner(
      'SELECT name, status, notes, tags FROM clients WHERE org_id = $1 ORDER BY name COLLATE "C"',
      [s.orgId],
    );
    expect(rows).toEqual([
      { name: 'Acme; Ltda.', status: 'active', notes: 'said "hi"; then\tleft, twice', tags: ['x', 'y'] },
      {
        name: 'Plain SA',
        status: 'lead',
        notes: 'a, b (Excel quotes only what holds the separator)',
        tags: [],
      },
      { name: 'Tab\tInside, Corp; Inc', status: 'churned', notes: 'line one\nline two', tags: ['z'] },
      { name: 'Tab Two', status: 'lead', notes: 'commas, and; semicolons', tags: [] },
    ]);
  });

  it('refuses another separator, a header mixing two, and a row using another one (422 naming the row); nothing stored', async () => {
    const before = await snapshot(admin.orgId);
    const cases: [string, string, RegExp][] = [
      ['name|status|notes\nPipe|lead|x\n', 'pipes', /header row \(row 1\) separates its columns with "\|"/],
      [
        'name,status;notes\nA,lead,x\n',
        'mixed header',
        /header row \(row 1\) separates its columns with both commas and semicolons/,
      ],
      [
        '\n"name";"status"\nGood;lead\nBad,lead\n',
        'a comma row in a semicolon file',
        /row 4 separates its cells with commas, but the header row uses semicolons/,
      ],
      [
        'name\tstatus\nGood\tlead\nBad;lead\n',
        'a semicolon row in a tab file',
        /row 3 separates its cells with semicolons, but the header row uses tabs/,
      ],
    ];
    for (const [content, what, detail] of cases) {
      const res = await importFile(admin, 'clients', 'bad.csv', content);
      const body = expectProblem(res, 422, 'invalid-file');
      expect(body.detail, what).toMatch(detail);
    }
    // a semicolon file with a bad status: a row error naming row and column, as for commas
    const errors = expectImportInvalid(
      await importFile(admin, 'clients', 'bad.csv', 'name;status\nGood;lead\nBad;dormant\n'),
    );
    expect(cells(errors)).toEqual(['3:status']);
    expect(await snapshot(admin.orgId)).toEqual(before);
  });
});
