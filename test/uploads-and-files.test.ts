// Platform file mechanisms on a tiny Fastify app (no BUL module needed): streamed uploads checked
// by name and content, CSV/XLSX reading (with zip-bomb defences), row validation, and streamed
// CSV/JSON/XLSX exports (with the rows coming from a real PostgreSQL cursor where it matters).
// Every file is generated here, for real: PNG/PDF bytes, exceljs workbooks, hand-written zips.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import zlib from 'node:zlib';
import { parse as parseCsvSync } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { streamRows } from '../src/platform/db/query-stream.ts';
import { Db } from '../src/platform/db/transaction.ts';
import { AppError } from '../src/platform/errors.ts';
import { type ExportFormat, type ExportResult, sendExport } from '../src/platform/export/send-export.ts';
import { registerCompression } from '../src/platform/http/compression.ts';
import { registerProblemHandlers } from '../src/platform/http/problem.ts';
import { moveIntoStore, receiveUpload, sanitizeFileName } from '../src/platform/http/uploads.ts';
import { registerBodyParsing } from '../src/platform/http/validation.ts';
import { readTable } from '../src/platform/import/read-table.ts';
import { col, importInvalid, type TableSpec, validateRows } from '../src/platform/import/row-validation.ts';

const MAX_UPLOAD = 1024 * 1024; // 1 MiB for the tests
const ALLOWED = ['pdf', 'png', 'jpg', 'txt', 'md', 'csv', 'json', 'xlsx', 'zip'];
const MB = 1024 * 1024;

let tmp: string;
let incoming: string;
let store: string;
let app: FastifyInstance;
let pool: pg.Pool;
let db: Db;
/** The last export's outcome, as sendExport reported it to the route. */
let lastExport: Promise<ExportResult> | null = null;
let exportRows: () => AsyncIterable<Record<string, unknown>> = async function* () {};

const IMPORT_SPEC = {
  name: col.text({ required: true, maxLength: 20 }),
  status: col.enum(['lead', 'active', 'churned'], { required: true }),
  budget: col.money({ digits: 2 }),
  dueDate: col.date(),
  email: col.email(),
  tags: col.tags({ maxItems: 3 }),
} satisfies TableSpec;

const EXPORT_COLUMNS = [
  { key: 'id', header: 'Id' },
  { key: 'title', header: 'Title' },
  { key: 'amount', header: 'Amount' },
  { key: 'done', header: 'Done' },
  { key: 'tags', header: 'Tags' },
  { key: 'at', header: 'At' },
  { key: 'note', header: 'Note' },
];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'bul-files-'));
  incoming = path.join(tmp, 'incoming');
  store = path.join(tmp, 'store');
  pool = new pg.Pool({ connectionString: inject('pgAdminUrl'), max: 3 });
  db = new Db(pool);

  app = Fastify({ logger: false });
  registerBodyParsing(app);
  registerProblemHandlers(app);
  const { registerUploads } = await import('../src/platform/http/uploads.ts');
  await registerUploads(app, { maxUploadSize: MAX_UPLOAD });

  // Routes take uploads only when they say so (schema.consumes), as BUL's do.
  const uploads = { schema: { consumes: ['multipart/form-data'] } };
  app.post('/upload', uploads, async (request) => {
    const file = await receiveUpload(request, {
      dir: incoming,
      allowedExtensions: ALLOWED,
      maxBytes: MAX_UPLOAD,
    });
    try {
      const kept = await moveIntoStore(file, path.join(store, 'org', randomUUID()));
      const { fileName, extension, contentType, size, sha256, fields } = file;
      return { fileName, extension, contentType, size, sha256, fields, kept };
    } finally {
      await file.discard();
    }
  });

  app.post('/import', uploads, async (request) => {
    const file = await receiveUpload(request, {
      dir: incoming,
      allowedExtensions: ['csv', 'xlsx'],
      maxBytes: MAX_UPLOAD,
    });
    try {
      const table = await readTable(
        { path: file.path, extension: file.extension as 'csv' | 'xlsx' },
        { maxRows: 100 },
      );
      const result = validateRows(table, IMPORT_SPEC);
      if (!result.ok) throw importInvalid(result);
      return { dryRun: file.fields.dryRun === 'true', records: result.records };
    } finally {
      await file.discard();
    }
  });

  app.get<{ Querystring: { format: ExportFormat; source?: string; n?: string; width?: string } }>(
    '/export',
    async (request, reply) => {
      const { format, source, n, width } = request.query;
      const columns =
        source === 'db'
          ? [
              { key: 'g', header: 'G' },
              { key: 'pad', header: 'Pad' },
            ]
          : EXPORT_COLUMNS;
      if (source === 'db') {
        lastExport = db.transaction({ orgId: null, userId: null }, (tx) =>
          sendExport(reply, {
            format,
            fileName: 'série 1',
            columns,
            rows: streamRows(
              tx,
              "SELECT g, repeat('x', $2::int) || g AS pad FROM generate_series(1, $1::int) g",
              [Number(n ?? 10), Number(width ?? 40)],
              500,
            ),
          }),
        );
      } else {
        lastExport = sendExport(reply, { format, fileName: 'tasks', columns, rows: exportRows() });
      }
      await lastExport;
      return reply;
    },
  );
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await pool?.end();
  await rm(tmp, { recursive: true, force: true });
});

// ------------------------------------------------------------------------------------------------
// helpers

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

async function upload(
  url: string,
  filename: string,
  content: Buffer | string,
  extra: { name: string; value: string }[] = [],
): Promise<LightMyRequestResponse> {
  const body = await multipart([...extra, { name: 'file', filename, content }]);
  return app.inject({ method: 'POST', url, ...body });
}

function expectProblem(res: LightMyRequestResponse, status: number, code: string): Record<string, unknown> {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  const body = res.json();
  expect(body.type).toBe(`urn:bul:error:${code}`);
  return body;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function pngBytes(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0); // width
  ihdr.writeUInt32BE(1, 4); // height
  ihdr[8] = 8; // bit depth; colour type 0 (grey), no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.from([0, 0x80]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n' +
    'trailer << /Root 1 0 R >>\n%%EOF\n',
);

async function tmpFile(name: string, content: Buffer | string): Promise<string> {
  const p = path.join(tmp, `${randomUUID()}-${name}`);
  await writeFile(p, content);
  return p;
}

// A zip written by hand, so that sizes, layout and contents can be exactly what a test needs.
interface ZipEntry {
  name: string;
  /** Stored or deflated bytes as they go into the file. */
  raw: Buffer;
  method: 0 | 8;
  crc: number;
  size: number;
  /** What the headers claim (defaults to `size`). */
  declaredSize?: number;
  /** Written as a local entry but left out of the central directory. */
  hidden?: boolean;
}

function deflated(name: string, content: Buffer | string): ZipEntry {
  const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return { name, raw: zlib.deflateRawSync(data), method: 8, crc: zlib.crc32(data), size: data.length };
}

/** `mb` MiB of zeros, deflated without ever holding them: one full-flush block repeated. */
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
    const size = e.declaredSize ?? e.size;
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4);
    h.writeUInt16LE(0x0800, 6); // UTF-8 names
    h.writeUInt16LE(e.method, 8);
    h.writeUInt16LE(0, 10);
    h.writeUInt16LE(0x21, 12); // 1980-01-01
    h.writeUInt32LE(e.crc >>> 0, 14);
    h.writeUInt32LE(e.raw.length, 18);
    h.writeUInt32LE(size, 22);
    h.writeUInt16LE(name.length, 26);
    h.writeUInt16LE(0, 28);
    locals.push(h, name, e.raw);
    if (!e.hidden) {
      const c = Buffer.alloc(46);
      c.writeUInt32LE(0x02014b50, 0);
      c.writeUInt16LE(20, 4);
      c.writeUInt16LE(20, 6);
      c.writeUInt16LE(0x0800, 8);
      c.writeUInt16LE(e.method, 10);
      c.writeUInt16LE(0, 12);
      c.writeUInt16LE(0x21, 14);
      c.writeUInt32LE(e.crc >>> 0, 16);
      c.writeUInt32LE(e.raw.length, 20);
      c.writeUInt32LE(size, 24);
      c.writeUInt16LE(name.length, 28);
      c.writeUInt32LE(offset, 42);
      centrals.push(c, name);
    }
    offset += 30 + name.length + e.raw.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  const count = entries.filter((e) => !e.hidden).length;
  eocd.writeUInt16LE(count, 8);
  eocd.writeUInt16LE(count, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** The parts of a minimal XLSX (one sheet of inline strings). */
function xlsxParts(rows: string[][]): ZipEntry[] {
  const cells = rows
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
      `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${cells}</sheetData></worksheet>`,
    ),
  ];
}

const SMALL_SHEET = [
  ['name', 'status'],
  ['Acme', 'lead'],
];

// A full garbage collection on demand (the standard way to reach V8's gc() from a running process).
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

/** Live memory (JS heap + buffers) right after a full collection. */
function liveBytes(): number {
  collectGarbage();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/**
 * Memory growth while `work` runs, sampled every 400 ms: `liveMb` is what survives a full garbage
 * collection (data actually held — what "constant memory" is about), `rssMb` the process's
 * resident size (also counts V8 sizing its heaps up; reported, not asserted).
 */
async function memoryGrowth<T>(
  work: () => Promise<T>,
): Promise<{ result: T; liveMb: number; rssMb: number }> {
  const baseLive = liveBytes();
  const baseRss = process.memoryUsage.rss();
  let peakLive = baseLive;
  let peakRss = baseRss;
  const timer = setInterval(() => {
    peakLive = Math.max(peakLive, liveBytes());
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 400);
  try {
    const result = await work();
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const mb = (n: number) => Math.round((n / MB) * 10) / 10;
    return { result, liveMb: mb(peakLive - baseLive), rssMb: mb(peakRss - baseRss) };
  } finally {
    clearInterval(timer);
  }
}

async function listen(): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

// ------------------------------------------------------------------------------------------------

describe('uploads', () => {
  it('accepts a real PNG and PDF, with their size and SHA-256, and keeps them in the store', async () => {
    for (const [name, content, type] of [
      ['pixel.png', pngBytes(), 'image/png'],
      ['Report 2024.PDF', PDF, 'application/pdf'],
    ] as const) {
      const res = await upload('/upload', name, content, [{ name: 'note', value: 'hello' }]);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({
        fileName: name,
        extension: name.split('.').pop()!.toLowerCase(),
        contentType: type,
        size: content.length,
        sha256: sha256(content),
        fields: { note: 'hello' },
      });
      expect(await readFile(body.kept)).toEqual(content);
    }
    expect(await readdir(incoming)).toEqual([]); // nothing left behind
  });

  it('accepts UTF-8 text for csv/txt/md/json and refuses binary or non-UTF-8 bytes under those names', async () => {
    const ok = await upload('/upload', 'notes.md', '# Titre\n\nCafé ☕\n');
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().contentType).toBe('text/markdown');

    const latin1 = await upload('/upload', 'list.csv', Buffer.from('name\nCaf\xe9\n', 'latin1'));
    expect(String(expectProblem(latin1, 415, 'unsupported-file').detail)).toMatch(/not UTF-8/);
    const nul = await upload('/upload', 'a.txt', Buffer.from('abc\u0000def'));
    expectProblem(nul, 415, 'unsupported-file');
    const pdfAsTxt = await upload('/upload', 'a.txt', PDF);
    expect(String(expectProblem(pdfAsTxt, 415, 'unsupported-file').detail)).toMatch(/PDF/);
    expect(await readdir(incoming)).toEqual([]);
  });

  it('refuses a .png that is really text, and an .exe, with 415 unsupported-file', async () => {
    const fake = await upload('/upload', 'photo.png', 'just some text, not an image');
    expect(String(expectProblem(fake, 415, 'unsupported-file').detail)).toMatch(/named \.png/);
    const exe = await upload('/upload', 'setup.exe', Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200)]));
    const body = expectProblem(exe, 415, 'unsupported-file');
    expect(String(body.detail)).toMatch(/\.exe are not accepted/);
    expect(body.allowedExtensions).toEqual(ALLOWED);
    // a PNG renamed to .pdf: the content decides
    expectProblem(await upload('/upload', 'doc.pdf', pngBytes()), 415, 'unsupported-file');
    // no extension at all
    expectProblem(await upload('/upload', 'README', 'text'), 415, 'unsupported-file');
    expect(await readdir(incoming)).toEqual([]);
  });

  it('refuses a file over the limit with 413 naming the limit, and leaves no temporary file', async () => {
    const big = Buffer.concat([pngBytes(), Buffer.alloc(MAX_UPLOAD)]);
    const res = await upload('/upload', 'big.png', big);
    const body = expectProblem(res, 413, 'payload-too-large');
    expect(body.detail).toBe('the file exceeds the upload limit of 1 MB');
    expect(body.limit).toBe(MAX_UPLOAD);
    expect(await readdir(incoming)).toEqual([]);
    // exactly at the limit is fine
    const atLimit = Buffer.concat([pngBytes(), Buffer.alloc(MAX_UPLOAD - pngBytes().length)]);
    const ok = await upload('/upload', 'edge.png', atLimit);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().size).toBe(MAX_UPLOAD);
  });

  it('refuses requests that are not multipart (415), and multipart without exactly one `file` (400)', async () => {
    const json = await app.inject({ method: 'POST', url: '/upload', payload: { file: 'x' } });
    expectProblem(json, 415, 'unsupported-media-type');
    const text = await app.inject({
      method: 'POST',
      url: '/upload',
      headers: { 'content-type': 'application/octet-stream' },
      payload: pngBytes(),
    });
    expectProblem(text, 415, 'unsupported-media-type');

    const noFile = await app.inject({
      method: 'POST',
      url: '/upload',
      ...(await multipart([{ name: 'a', value: 'b' }])),
    });
    const b1 = expectProblem(noFile, 400, 'validation-failed');
    expect(b1.errors).toEqual([expect.objectContaining({ field: 'file', rule: 'required' })]);

    const wrongField = await app.inject({
      method: 'POST',
      url: '/upload',
      ...(await multipart([{ name: 'attachment', filename: 'a.png', content: pngBytes() }])),
    });
    expect(
      (expectProblem(wrongField, 400, 'validation-failed').errors as { field: string }[])[0]!.field,
    ).toBe('file');

    const two = await app.inject({
      method: 'POST',
      url: '/upload',
      ...(await multipart([
        { name: 'file', filename: 'a.png', content: pngBytes() },
        { name: 'file', filename: 'b.png', content: pngBytes() },
      ])),
    });
    expect((expectProblem(two, 400, 'validation-failed').errors as { rule: string }[])[0]!.rule).toBe(
      'maxItems',
    );

    const empty = await upload('/upload', 'empty.txt', '');
    expect((expectProblem(empty, 400, 'validation-failed').errors as { rule: string }[])[0]!.rule).toBe(
      'minSize',
    );
    expect(await readdir(incoming)).toEqual([]);
  });

  it('sanitises file names (directories, control and bidi characters) before taking the extension', async () => {
    expect(sanitizeFileName('../../etc/passwd.txt')).toBe('passwd.txt');
    expect(sanitizeFileName('C:\\Users\\me\\report.pdf')).toBe('report.pdf');
    expect(sanitizeFileName('invoice\u202Egnp.exe')).toBe('invoicegnp.exe');
    expect(sanitizeFileName('a\u0000b\nc.txt')).toBe('a_b_c.txt');
    expect(sanitizeFileName(' ...hidden.txt. ')).toBe('hidden.txt');
    expect(sanitizeFileName('')).toBe('file');
    const long = sanitizeFileName(`${'é'.repeat(500)}.pdf`);
    expect([...long].length).toBe(200);
    expect(long.endsWith('.pdf')).toBe(true);
    // the bidi trick does not get an .exe through as a .png
    const res = await upload('/upload', 'photo\u202Egnp.exe', pngBytes());
    expectProblem(res, 415, 'unsupported-file');
  });

  it('moveIntoStore creates directories and discard() is then a no-op', async () => {
    const dest = path.join(store, 'deep', 'er', 'x.bin');
    const src = await tmpFile('m.txt', 'content');
    const file = {
      path: src,
      fileName: 'm.txt',
      extension: 'txt',
      contentType: 'text/plain',
      size: 7,
      sha256: sha256('content'),
      fields: {},
      discard: () => rm(src, { force: true }),
    };
    await moveIntoStore(file, dest);
    await file.discard();
    expect(file.path).toBe(dest);
    expect(await readFile(dest, 'utf8')).toBe('content');
    expect(existsSync(src)).toBe(false);
  });
});

describe('reading CSV', () => {
  it('handles a BOM, quoted fields with commas, quotes and line breaks, CRLF, blank and short rows', async () => {
    const csv =
      '\ufeffName, Status ,Note\r\n' +
      '"Acme, Inc.",lead,"said ""hi""\r\nthen left"\r\n' +
      '\r\n' +
      'Zoë,active\r\n' +
      ',,\r\n' +
      'Last,churned,x';
    const table = await readTable({ path: await tmpFile('a.csv', csv), extension: 'csv' }, { maxRows: 10 });
    expect(table.columns).toEqual(['Name', 'Status', 'Note']);
    expect(table.rows).toEqual([
      { row: 2, values: { Name: 'Acme, Inc.', Status: 'lead', Note: 'said "hi"\r\nthen left' } },
      { row: 4, values: { Name: 'Zoë', Status: 'active', Note: '' } },
      { row: 6, values: { Name: 'Last', Status: 'churned', Note: 'x' } },
    ]);
  });

  it('names the line of a broken quote, and refuses NUL, non-UTF-8, bad headers and stray values', async () => {
    const read = async (content: string | Buffer) =>
      readTable({ path: await tmpFile('x.csv', content), extension: 'csv' }, { maxRows: 10 });
    const cases: [string | Buffer, RegExp][] = [
      ['a,b\n1,"unterminated\n2,3\n', /malformed at line 3: Quote Not Closed/],
      ['a,b\n1,x"y\n', /malformed at line 2/],
      [Buffer.from('a,b\n1,\u0000\n'), /NUL/],
      [Buffer.from('a,b\n1,caf\xe9\n', 'latin1'), /not UTF-8/],
      ['a,,b\n1,2,3\n', /column B of the header \(row 1\) is empty/],
      ['Name,name\n1,2\n', /"name" appears twice \(columns A and B/],
      ['a,b\n1,2,3\n', /row 2 has a value in column C, which has no header/],
      ['', /the file is empty/],
      ['\n\n', /the file is empty/],
    ];
    for (const [content, message] of cases) {
      const err = await read(content).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, String(message)).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('invalid-file');
      expect((err as AppError).message).toMatch(message);
    }
  });

  it('refuses more than maxRows data rows, naming the limit and the count', async () => {
    const csv = `n\n${Array.from({ length: 12 }, (_, i) => i).join('\n')}\n`;
    const p = await tmpFile('many.csv', csv);
    expect((await readTable({ path: p, extension: 'csv' }, { maxRows: 12 })).rows).toHaveLength(12);
    const err = (await readTable({ path: p, extension: 'csv' }, { maxRows: 11 }).catch((e) => e)) as AppError;
    expect(err.code).toBe('invalid-file');
    expect(err.message).toBe(
      'the file has 12 data rows; at most 11 can be imported at once (IMPORT_MAX_ROWS)',
    );
    expect(err.extra).toMatchObject({ limit: 11, rows: 12 });
  });

  it('an import of a broken CSV is a 422 problem naming the line; a good one answers typed records', async () => {
    const broken = await upload('/import', 'clients.csv', 'name,status\nAcme,"lead\n');
    expect(String(expectProblem(broken, 422, 'invalid-file').detail)).toMatch(/at line 2: Quote Not Closed/);

    const good = await upload(
      '/import',
      'clients.csv',
      'Name,Status,Budget,Due date,Tags\nAcme,LEAD,1234.5,2025-02-28,"a; b,a"\n',
      [{ name: 'dryRun', value: 'true' }],
    );
    expect(good.statusCode, good.body).toBe(200);
    expect(good.json()).toEqual({
      dryRun: true,
      records: [
        {
          row: 2,
          value: {
            name: 'Acme',
            status: 'lead',
            budget: 123450,
            dueDate: '2025-02-28',
            email: null,
            tags: ['a', 'b'],
          },
        },
      ],
    });
    expect(await readdir(incoming)).toEqual([]);
  });
});

describe('reading XLSX', () => {
  it('reads the first worksheet of an exceljs workbook into the same rows as text', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Clients');
    ws.addRow(['Name', 'Due', 'Amount', 'Done', 'Double', 'Note', 'Small', 'Big']);
    ws.addRow([
      'Zoë & Co <x>',
      new Date(Date.UTC(2024, 0, 5)),
      1234.56,
      true,
      { formula: 'C2*2', result: 2469.12 },
      'plain',
      0.1 + 0.2,
      1e21,
    ]);
    ws.addRow([]); // blank row 3: skipped, numbering kept
    ws.addRow([
      { richText: [{ text: 'bold ' }, { text: 'part' }] },
      new Date(Date.UTC(2024, 1, 29, 13, 45, 30)),
      -7,
      false,
      { formula: 'C4*2', result: -14 },
      null,
      1e-7,
      123456789012,
    ]);
    wb.addWorksheet('Other').addRow(['ignored']);
    const p = await tmpFile('clients.xlsx', Buffer.from(await wb.xlsx.writeBuffer()));
    const table = await readTable({ path: p, extension: 'xlsx' }, { maxRows: 10 });
    expect(table.columns).toEqual(['Name', 'Due', 'Amount', 'Done', 'Double', 'Note', 'Small', 'Big']);
    expect(table.rows).toEqual([
      {
        row: 2,
        values: {
          Name: 'Zoë & Co <x>',
          Due: '2024-01-05',
          Amount: '1234.56',
          Done: 'true',
          Double: '2469.12',
          Note: 'plain',
          Small: '0.3',
          Big: '1000000000000000000000',
        },
      },
      {
        row: 4,
        values: {
          Name: 'bold part',
          Due: '2024-02-29T13:45:30',
          Amount: '-7',
          Done: 'false',
          Double: '-14',
          Note: '',
          Small: '0.0000001',
          Big: '123456789012',
        },
      },
    ]);
  });

  it('reads a hand-written minimal XLSX (the zip writer used for the bombs below is sound)', async () => {
    expect(zlib.inflateRawSync(zerosBomb('z', 3).raw)).toEqual(Buffer.alloc(3 * MB)); // a real deflate stream
    const p = await tmpFile('min.xlsx', buildZip(xlsxParts(SMALL_SHEET)));
    expect(await readTable({ path: p, extension: 'xlsx' }, { maxRows: 10 })).toEqual({
      columns: ['name', 'status'],
      rows: [{ row: 2, values: { name: 'Acme', status: 'lead' } }],
    });
  });

  it('refuses plain text, a zip without a workbook, and a duplicate header as invalid-file', async () => {
    const asText = await tmpFile('fake.xlsx', 'name,status\nAcme,lead\n');
    await expect(readTable({ path: asText, extension: 'xlsx' }, { maxRows: 10 })).rejects.toThrow(
      /not an XLSX file/,
    );
    const plainZip = await tmpFile('plain.xlsx', buildZip([deflated('hello.txt', 'hi')]));
    await expect(readTable({ path: plainZip, extension: 'xlsx' }, { maxRows: 10 })).rejects.toThrow(
      /not an XLSX file: it has no xl\/workbook.xml/,
    );
    const dup = await tmpFile(
      'dup.xlsx',
      buildZip(
        xlsxParts([
          ['Name', 'x', 'NAME'],
          ['a', 'b', 'c'],
        ]),
      ),
    );
    await expect(readTable({ path: dup, extension: 'xlsx' }, { maxRows: 10 })).rejects.toThrow(
      /"NAME" appears twice \(columns A and C/,
    );
    // exceljs copies sheets to temporary files; a refused file must not leave them behind
    const dupWb = new ExcelJS.Workbook();
    dupWb.addWorksheet('A').addRows([
      ['Id', 'id'],
      ['1', '2'],
    ]);
    dupWb.addWorksheet('B').addRow(['other']);
    const dup2 = await tmpFile('dup2.xlsx', Buffer.from(await dupWb.xlsx.writeBuffer()));
    await expect(readTable({ path: dup2, extension: 'xlsx' }, { maxRows: 10 })).rejects.toThrow(
      /"id" appears twice/,
    );
    await new Promise((r) => setTimeout(r, 100)); // exceljs removes them asynchronously
    expect((await readdir(os.tmpdir())).filter((f) => f.startsWith(`tmp-${process.pid}-`))).toEqual([]);
    // through the upload gate, text named .xlsx never reaches the reader
    expectProblem(
      await upload('/import', 'clients.xlsx', 'name,status\nAcme,lead\n'),
      415,
      'unsupported-file',
    );
  });

  it('refuses a real zip bomb (200 MB of zeros in a 200 KB file) without inflating it', async () => {
    const bomb = zerosBomb('xl/worksheets/sheet2.xml', 200);
    const file = buildZip([...xlsxParts(SMALL_SHEET), bomb]);
    expect(file.length).toBeLessThan(MAX_UPLOAD); // small enough to upload
    const p = await tmpFile('bomb.xlsx', file);
    const {
      result: err,
      liveMb,
      rssMb,
    } = await memoryGrowth(() =>
      readTable({ path: p, extension: 'xlsx' }, { maxRows: 10 }).then(
        () => null,
        (e: unknown) => e as AppError,
      ),
    );
    expect(err?.code).toBe('invalid-file');
    expect(err?.message).toMatch(/zip bomb: it expands beyond 100 MB/);
    expect(liveMb).toBeLessThan(20);
    expect(rssMb).toBeLessThan(100);
    console.info(`zip bomb (declared 200 MB): refused; peak growth: live ${liveMb} MB, RSS ${rssMb} MB`);

    // through HTTP: a 4xx problem that says so
    const res = await upload('/import', 'bomb.xlsx', file);
    expect(String(expectProblem(res, 422, 'invalid-file').detail)).toMatch(/zip bomb/);
  });

  it('refuses a bomb whose headers lie about its size, stopping at the declared size', async () => {
    const bomb = zerosBomb('xl/worksheets/sheet2.xml', 200);
    bomb.declaredSize = bomb.raw.length * 2; // a harmless-looking 2:1
    const p = await tmpFile('liar.xlsx', buildZip([...xlsxParts(SMALL_SHEET), bomb]));
    const {
      result: err,
      liveMb,
      rssMb,
    } = await memoryGrowth(() =>
      readTable({ path: p, extension: 'xlsx' }, { maxRows: 10 }).then(
        () => null,
        (e: unknown) => e as AppError,
      ),
    );
    expect(err?.code).toBe('invalid-file');
    expect(err?.message).toMatch(
      /zip bomb: the entry xl\/worksheets\/sheet2.xml expands beyond its declared size/,
    );
    expect(liveMb).toBeLessThan(20);
    expect(rssMb).toBeLessThan(100);
    console.info(`zip bomb (lying sizes): refused; peak growth: live ${liveMb} MB, RSS ${rssMb} MB`);
  });

  it('refuses a high ratio entry, too many entries, and a bomb hidden outside the central directory', async () => {
    const ratio = zerosBomb('xl/media/blob.bin', 5); // 5 MB at ~1000:1, total well under 100 MB
    const p1 = await tmpFile('ratio.xlsx', buildZip([...xlsxParts(SMALL_SHEET), ratio]));
    await expect(readTable({ path: p1, extension: 'xlsx' }, { maxRows: 10 })).rejects.toThrow(
      /zip bomb: the entry xl\/media\/blob.bin expands \d+:1 \(at most 100:1\)/,
    );

    const many = Array.from({ length: 1001 }, (_, i) => deflated(`xl/media/f${i}.txt`, 'x'));
    const p2 = await tmpFile('many.xlsx', buildZip([...xlsxParts(SMALL_SHEET), ...many]));
    await expect(readTable({ path: p2, extension: 'xlsx' }, { maxRows: 10 })).rejects.toThrow(
      /1006 entries \(at most 1000\)/,
    );

    // A streaming reader walks local headers: an entry missing from the directory must not slip by.
    const hidden = { ...zerosBomb('xl/worksheets/sheet9.xml', 50), hidden: true };
    const parts = xlsxParts(SMALL_SHEET);
    const p3 = await tmpFile('hidden.xlsx', buildZip([...parts.slice(0, 2), hidden, ...parts.slice(2)]));
    await expect(readTable({ path: p3, extension: 'xlsx' }, { maxRows: 10 })).rejects.toThrow(
      /zip bomb: it holds an entry outside its directory/,
    );
  });
});

describe('row validation', () => {
  const table = (columns: string[], rows: string[][]) => ({
    columns,
    rows: rows.map((r, i) => ({
      row: i + 2,
      values: Object.fromEntries(columns.map((c, j) => [c, r[j] ?? ''])),
    })),
  });

  it('types every kind of column', () => {
    const spec = {
      title: col.text({ required: true, minLength: 2, maxLength: 10 }),
      count: col.integer({ min: 0, max: 100 }),
      price: col.money({ digits: 2 }),
      yen: col.money({ digits: 0 }),
      due: col.date(),
      priority: col.enum(['low', 'medium', 'high']),
      owner: col.email(),
      ref: col.uuid(),
      tags: col.tags(),
      billable: col.boolean(),
    } satisfies TableSpec;
    const ref = '0192F1B2-7C3D-7E4F-8A5B-6C7D8E9F0A1B';
    const res = validateRows(
      table(
        ['Title', 'COUNT', 'price', 'Yen', 'Due', 'Priority', 'Owner', 'Ref', 'Tags', 'Billable'],
        [
          [
            ' Write ',
            '42',
            '1234.5',
            '1500',
            '2024-02-29',
            'HIGH',
            'a.b@example.org',
            ref,
            'x; y, x ,',
            'Yes',
          ],
          ['Ok', '', '', '', '', '', '', '', '', ''],
          ['Zero', '0', '0.10', '0', '2025-12-31', 'low', 'z@z.io', ref.toLowerCase(), '', '0'],
        ],
      ),
      spec,
    );
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    const first = res.records[0]!.value;
    // the record is typed: these lines would not compile with the wrong types
    const checks: [string, number | null, 'low' | 'medium' | 'high' | null, string[], boolean | null] = [
      first.title,
      first.price,
      first.priority,
      first.tags,
      first.billable,
    ];
    expect(checks).toEqual(['Write', 123450, 'high', ['x', 'y'], true]);
    expect(res.records.map((r) => r.value)).toEqual([
      {
        title: 'Write',
        count: 42,
        price: 123450,
        yen: 1500,
        due: '2024-02-29',
        priority: 'high',
        owner: 'a.b@example.org',
        ref: ref.toLowerCase(),
        tags: ['x', 'y'],
        billable: true,
      },
      {
        title: 'Ok',
        count: null,
        price: null,
        yen: null,
        due: null,
        priority: null,
        owner: null,
        ref: null,
        tags: [],
        billable: null,
      },
      {
        title: 'Zero',
        count: 0,
        price: 10,
        yen: 0,
        due: '2025-12-31',
        priority: 'low',
        owner: 'z@z.io',
        ref: ref.toLowerCase(),
        tags: [],
        billable: false,
      },
    ]);
  });

  it('reports every bad cell of every bad row, with row, column and a message', () => {
    const res = validateRows(
      table(
        ['Name', 'Status', 'Budget', 'Due date', 'Email', 'Tags'],
        [
          ['Good', 'lead', '10.00', '2024-01-01', 'a@b.co', 'x'],
          ['', 'won', '-5', '2024-02-30', 'not-an-email', 'a,b,c,d'],
          ['Way too long a name here', 'active', '12.345', '01/02/2024', '', ''],
          ['Fine', 'churned', '1,234.00', '', '', ''],
        ],
      ),
      IMPORT_SPEC,
    );
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.errors).toEqual([
      { row: 3, column: 'Name', message: 'is required' },
      { row: 3, column: 'Status', message: 'must be one of: lead, active, churned (got "won")' },
      { row: 3, column: 'Budget', message: 'must be at least 0.00' },
      { row: 3, column: 'Due date', message: 'is not a calendar date (2024-02-30)' },
      { row: 3, column: 'Email', message: 'must be an e-mail address (got "not-an-email")' },
      { row: 3, column: 'Tags', message: 'must have at most 3 tags (has 4)' },
      { row: 4, column: 'Name', message: 'must be at most 20 characters (has 24)' },
      { row: 4, column: 'Budget', message: 'must have at most 2 decimals' },
      { row: 4, column: 'Due date', message: 'must be a date as YYYY-MM-DD (got "01/02/2024")' },
      { row: 5, column: 'Budget', message: 'must be an amount like 1234.55 (digits and a "." only)' },
    ]);
    expect(res.errorCount).toBe(10);
    const problem = importInvalid(res);
    expect(problem.code).toBe('import-invalid');
    expect(problem.status).toBe(422);
    expect(problem.message).toBe('row 3, column Name: is required (and 9 more)');
    expect(problem.extra).toMatchObject({ rowErrors: res.errors, errorCount: 10 });
  });

  it('reports unknown and missing required columns at row 1, one error each', () => {
    const res = validateRows(
      table(['name', 'colour', 'size', 'due_date'], [['a', 'b', 'c', '2024-01-01']]),
      IMPORT_SPEC,
    );
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.errors).toEqual([
      {
        row: 1,
        column: 'colour',
        message: 'unknown column; the columns are: name, status, budget, dueDate, email, tags',
      },
      {
        row: 1,
        column: 'size',
        message: 'unknown column; the columns are: name, status, budget, dueDate, email, tags',
      },
      { row: 1, column: 'status', message: 'this required column is missing' },
    ]);
  });

  it('adds cross-field errors from refine, and caps the listed errors while counting them all', () => {
    const spec = {
      start: col.date({ required: true }),
      end: col.date({ required: true }),
    } satisfies TableSpec;
    const rows = Array.from({ length: 30 }, () => ['2024-05-02', '2024-05-01']);
    const res = validateRows(table(['start', 'end'], rows), spec, {
      refine: (v) => (v.end < v.start ? [{ column: 'end', message: 'must not be before start' }] : []),
      maxErrors: 5,
    });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.errors).toHaveLength(5);
    expect(res.errors[0]).toEqual({ row: 2, column: 'end', message: 'must not be before start' });
    expect(res.errorCount).toBe(30);
    expect(importInvalid(res).extra).toMatchObject({ truncated: true, errorCount: 30 });
  });

  it('lists every bad row of an uploaded file as a 422 import-invalid problem', async () => {
    const csv = 'name,status,budget\nA,lead,1\n,lead,2\nC,nope,3\nD,active,x\n';
    const res = await upload('/import', 'clients.csv', csv);
    const body = expectProblem(res, 422, 'import-invalid');
    expect(body.rowErrors).toEqual([
      { row: 3, column: 'name', message: 'is required' },
      { row: 4, column: 'status', message: 'must be one of: lead, active, churned (got "nope")' },
      { row: 5, column: 'budget', message: 'must be an amount like 1234.55 (digits and a "." only)' },
    ]);
  });
});

describe('exports', () => {
  const ROWS: Record<string, unknown>[] = [
    {
      id: 1,
      title: '=HYPERLINK("http://evil","click")',
      amount: -5,
      done: true,
      tags: ['a', 'b'],
      at: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
      note: 'comma, "quote"\r\nnew line',
    },
    { id: 2, title: '+cmd', amount: 0.5, done: false, tags: [], at: null, note: '-2+3' },
    { id: 3, title: '@SUM(A1)', amount: null, done: null, tags: ['x'], at: undefined, note: '\tTab' },
    { id: 4, title: 'Zoë ☕', amount: 12, done: true, tags: null, at: '2024-05-06', note: 'plain' },
  ];

  it('CSV: header, RFC 4180 quoting, formula injection neutralised, download headers', async () => {
    exportRows = async function* () {
      yield* ROWS;
    };
    const res = await app.inject({ method: 'GET', url: '/export?format=csv' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="tasks.csv"; filename*=UTF-8''tasks.csv`,
    );
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(res.body).toContain('\r\n');
    const parsed = parseCsvSync(res.rawPayload, { bom: true }) as string[][];
    expect(parsed).toEqual([
      ['Id', 'Title', 'Amount', 'Done', 'Tags', 'At', 'Note'],
      [
        '1',
        `'=HYPERLINK("http://evil","click")`,
        '-5',
        'true',
        'a, b',
        '2024-01-02T03:04:05.000Z',
        'comma, "quote"\r\nnew line',
      ],
      ['2', "'+cmd", '0.5', 'false', '', '', "'-2+3"],
      ['3', "'@SUM(A1)", '', '', 'x', '', "'\tTab"],
      ['4', 'Zoë ☕', '12', 'true', '', '2024-05-06', 'plain'],
    ]);
    expect(await lastExport).toEqual({ rows: 4, completed: true });
  });

  it('JSON: a streamed array of objects with the columns as keys', async () => {
    const res = await app.inject({ method: 'GET', url: '/export?format=json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body.startsWith('[\n{"id":1,')).toBe(true);
    expect(res.body.endsWith('}\n]\n')).toBe(true);
    expect(res.json()).toEqual([
      {
        id: 1,
        title: '=HYPERLINK("http://evil","click")',
        amount: -5,
        done: true,
        tags: ['a', 'b'],
        at: '2024-01-02T03:04:05.000Z',
        note: 'comma, "quote"\r\nnew line',
      },
      { id: 2, title: '+cmd', amount: 0.5, done: false, tags: [], at: null, note: '-2+3' },
      { id: 3, title: '@SUM(A1)', amount: null, done: null, tags: ['x'], at: null, note: '\tTab' },
      { id: 4, title: 'Zoë ☕', amount: 12, done: true, tags: null, at: '2024-05-06', note: 'plain' },
    ]);
    exportRows = async function* () {};
    const empty = await app.inject({ method: 'GET', url: '/export?format=json' });
    expect(empty.json()).toEqual([]);
  });

  it('XLSX: read back with exceljs, typed cells, strings never formulas', async () => {
    exportRows = async function* () {
      yield* ROWS;
    };
    const res = await app.inject({ method: 'GET', url: '/export?format=xlsx' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    expect(res.headers['content-disposition']).toContain('filename="tasks.xlsx"');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    const values = (n: number) => (ws.getRow(n).values as unknown[]).slice(1);
    expect(values(1)).toEqual(['Id', 'Title', 'Amount', 'Done', 'Tags', 'At', 'Note']);
    // (line breaks in a cell are LF, as Excel writes them)
    expect(values(2)).toEqual([
      1,
      '=HYPERLINK("http://evil","click")',
      -5,
      true,
      'a, b',
      '2024-01-02T03:04:05.000Z',
      'comma, "quote"\nnew line',
    ]);
    expect(ws.getCell('B2').type).toBe(ExcelJS.ValueType.String); // text, not a formula
    expect(values(3)).toEqual([2, '+cmd', 0.5, false, undefined, undefined, '-2+3']);
    expect(values(5)).toEqual([4, 'Zoë ☕', 12, true, undefined, '2024-05-06', 'plain']);
    // and our own importer reads it back
    const p = await tmpFile('export.xlsx', res.rawPayload);
    const table = await readTable({ path: p, extension: 'xlsx' }, { maxRows: 10 });
    expect(table.rows[1]).toEqual({
      row: 3,
      values: { Id: '2', Title: '+cmd', Amount: '0.5', Done: 'false', Tags: '', At: '', Note: '-2+3' },
    });
  });

  it('a query that fails before the first row is an ordinary problem response', async () => {
    exportRows = async function* () {
      yield* [];
      throw new AppError('not-found', 'project not found');
    };
    const res = await app.inject({ method: 'GET', url: '/export?format=csv' });
    expectProblem(res, 404, 'not-found');
  });

  it('streams rows from a PostgreSQL cursor inside a transaction (unicode file name)', async () => {
    const res = await app.inject({ method: 'GET', url: '/export?format=csv&source=db&n=1234' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="s_rie 1.csv"; filename*=UTF-8''s%C3%A9rie%201.csv`,
    );
    const parsed = parseCsvSync(res.rawPayload, { bom: true }) as string[][];
    expect(parsed).toHaveLength(1235);
    expect(parsed[1234]).toEqual(['1234', `${'x'.repeat(40)}1234`]);
    expect(await lastExport).toEqual({ rows: 1234, completed: true });
    expect(pool.idleCount).toBe(pool.totalCount); // the transaction ended and released its client
  });

  it('200,000 rows (~80 MB as CSV) from PostgreSQL stream in constant memory (CSV, JSON, XLSX over real HTTP)', async () => {
    const base = await listen();
    for (const format of ['csv', 'json', 'xlsx'] as const) {
      const { result, liveMb, rssMb } = await memoryGrowth(
        () =>
          new Promise<{ bytes: number; ms: number }>((resolve, reject) => {
            const started = Date.now();
            http
              .get(`${base}/export?format=${format}&source=db&n=200000&width=400`, (res) => {
                let bytes = 0;
                res.on('data', (c: Buffer) => {
                  bytes += c.length;
                });
                res.on('end', () => resolve({ bytes, ms: Date.now() - started }));
                res.on('error', reject);
              })
              .on('error', reject);
          }),
      );
      expect(await lastExport).toEqual({ rows: 200_000, completed: true });
      console.info(
        `export 200k rows as ${format}: ${(result.bytes / MB).toFixed(1)} MB sent in ${result.ms} ms; peak growth: live ${liveMb} MB, RSS ${rssMb} MB`,
      );
      // The rows alone are ~80 MB of text: an export that buffered them would hold far more (an
      // XLSX writer without backpressure held 72 MB). Bytes in flight to the socket vary from run to
      // run (seen: 0–22 MB), so the bound leaves room for them while still catching buffering.
      expect(liveMb).toBeLessThan(40);
    }
  });
});

describe('exports that break off', () => {
  let server: FastifyInstance;
  let base: string;
  let outcome: Promise<ExportResult> | null = null;
  let cursorClosed = false;

  beforeAll(async () => {
    server = Fastify({ logger: false });
    registerProblemHandlers(server);
    await registerCompression(server); // as the app does: a caller may take the export gzipped
    server.get<{ Querystring: { format: ExportFormat; fail?: string } }>('/x', async (request, reply) => {
      const { format, fail } = request.query;
      outcome = db.transaction({ orgId: null, userId: null }, async (tx) => {
        const rows = streamRows<{ g: number }>(tx, 'SELECT g FROM generate_series(1, 5000000) g', [], 200);
        async function* source() {
          try {
            for await (const r of rows) {
              if (fail && r.g === Number(fail)) throw new Error('boom');
              yield r;
            }
          } finally {
            cursorClosed = true;
          }
        }
        const result = await sendExport(reply, {
          format,
          fileName: 'x',
          columns: [{ key: 'g', header: 'G' }],
          rows: source(),
        });
        // the cursor was closed, so the transaction can go on using its client
        await tx.query('SELECT 1');
        return result;
      });
      await outcome;
      return reply;
    });
    await server.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Reads part of an export, then hangs up; answers the content-encoding the export came with. */
  async function leaveMidway(
    format: ExportFormat,
    encoding: 'identity' | 'gzip',
  ): Promise<string | undefined> {
    cursorClosed = false;
    const answered = await new Promise<string | undefined>((resolve, reject) => {
      const req = http.get(
        `${base}/x?format=${format}`,
        { headers: { 'accept-encoding': encoding } },
        (res) => {
          let seen = 0;
          res.on('data', (c: Buffer) => {
            seen += c.length;
            // Compressed, a few KB stand for a lot of rows already.
            if (seen > (encoding === 'identity' ? 256 : 16) * 1024) {
              req.destroy();
              resolve(res.headers['content-encoding']);
            }
          });
          res.on('error', () => {});
        },
      );
      req.on('error', () => {});
      setTimeout(() => reject(new Error('no data')), 20_000);
    });
    const result = await outcome!;
    expect(result.completed).toBe(false);
    expect(result.rows).toBeGreaterThan(0);
    expect(result.rows).toBeLessThan(5_000_000);
    expect(cursorClosed).toBe(true);
    return answered;
  }

  it('stops, closes the cursor and ends the transaction when the client goes away', async () => {
    for (const format of ['csv', 'xlsx'] as const) {
      expect(await leaveMidway(format, 'identity')).toBeUndefined();
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(pool.idleCount).toBe(pool.totalCount);
  });

  it('does the same when the export goes out gzipped', async () => {
    for (const format of ['csv', 'json'] as const) {
      expect(await leaveMidway(format, 'gzip')).toBe('gzip');
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(pool.idleCount).toBe(pool.totalCount);
  });

  it('cuts the connection (no clean end) when a row fails after data went out, gzipped or not', async () => {
    for (const encoding of ['identity', 'gzip']) {
      cursorClosed = false;
      const outcomeOfClient = await new Promise<string>((resolve) => {
        http
          .get(`${base}/x?format=csv&fail=50000`, { headers: { 'accept-encoding': encoding } }, (res) => {
            res.on('data', () => {});
            res.on('end', () => resolve(res.complete ? `complete ${res.statusCode}` : 'incomplete'));
            res.on('aborted', () => resolve('aborted'));
            res.on('error', () => resolve('error'));
          })
          .on('error', () => resolve('error'));
      });
      expect(outcomeOfClient, encoding).not.toMatch(/^complete/);
      expect(await outcome!, encoding).toEqual({ rows: 49_999, completed: false });
      expect(cursorClosed, encoding).toBe(true);
    }
  });

  it('answers a 500 problem when a row fails before any byte was sent', async () => {
    // Accepting gzip: the problem must not claim the encoding the stream would have had.
    const res = await fetch(`${base}/x?format=csv&fail=10`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(((await res.json()) as { type: string }).type).toBe('urn:bul:error:internal');
    expect(await outcome!).toEqual({ rows: 9, completed: false });
    expect(cursorClosed).toBe(true);
  });
});

describe('temporary directory hygiene', () => {
  it('leaves nothing in the incoming directory after all those requests', async () => {
    await mkdir(incoming, { recursive: true });
    expect(await readdir(incoming)).toEqual([]);
  });
});
