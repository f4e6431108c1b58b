// Work management, task attachments (issue 3, items 3 and 9, "Bad input"): real PNG/PDF uploads
// through the API with their SHA-256 and size, kept under BUL_DATA_DIR/files and downloaded back
// byte for byte; refused uploads (wrong type or content, too large, over the plan's storage, no
// permission) store nothing — no row, no file, no usage; deleting an attachment, its task or its
// project removes the files and gives the bytes back; who may attach and delete; audit events.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from './support/problems.ts';
import { addMember, createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

let dataDir: string;
let t: TestApp;
let admin: Session;
let manager: Session;
let dev: Session; // developer
let dev2: Session; // another developer
let viewer: Session;
let other: Session; // org_admin of organization B
let projectId: string;
let taskAdmin: string; // unassigned task
let taskDev: string; // assigned to dev
let taskDev2: string; // assigned to dev2

// ---- files --------------------------------------------------------------------------------------

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

const PNG = pngBytes();
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n' +
    'trailer << /Root 1 0 R >>\n%%EOF\n',
);
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A multipart/form-data body as a browser would send it (FormData through the fetch Response). */
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

// ---- requests -----------------------------------------------------------------------------------

function api(app: TestApp, s: Session, method: Method, url: string, payload?: unknown) {
  return app.request({
    method,
    url: `/api/v1${url}`,
    headers: s.headers,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

async function upload(
  s: Session,
  taskId: string,
  filename: string,
  content: Buffer | string,
  app: TestApp = t,
): Promise<LightMyRequestResponse> {
  const body = await multipart([{ name: 'file', filename, content }]);
  return app.request({
    method: 'POST',
    url: `/api/v1/tasks/${taskId}/attachments`,
    headers: { ...s.headers, ...body.headers },
    payload: body.payload,
  });
}

async function createTask(s: Session, payload: Record<string, unknown>): Promise<string> {
  const res = await api(t, s, 'POST', '/tasks', { projectId, ...payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

// ---- what was stored ----------------------------------------------------------------------------

const filesRoot = (app: TestApp = t) => path.join(app.config.dataDir, 'files');

/** Attachment files kept for an organization (names = attachment ids). */
async function storedFiles(orgId: string, app: TestApp = t): Promise<string[]> {
  return (await readdir(path.join(filesRoot(app), orgId)).catch(() => [] as string[])).sort();
}

/** Temporary upload files still waiting (must be none between requests). */
async function incomingFiles(app: TestApp = t): Promise<string[]> {
  return readdir(path.join(filesRoot(app), '.incoming')).catch(() => [] as string[]);
}

async function attachmentRows(orgId: string, app: TestApp = t): Promise<string[]> {
  const { rows } = await app.owner<{ id: string }>(
    'SELECT id FROM task_attachments WHERE org_id = $1 ORDER BY id',
    [orgId],
  );
  return rows.map((r) => r.id);
}

async function storageUsage(s: Session, app: TestApp = t): Promise<number> {
  const res = await api(app, s, 'GET', '/organization/usage');
  expect(res.statusCode, res.body).toBe(200);
  return res.json().usage.storageBytes;
}

/** Everything an attachment leaves behind, to compare before and after a refused request. */
async function footprint(s: Session = admin, app: TestApp = t) {
  return {
    rows: await attachmentRows(s.orgId, app),
    files: await storedFiles(s.orgId, app),
    incoming: await incomingFiles(app),
    usage: await storageUsage(s, app),
    audit: Number(
      (
        await app.owner<{ n: number }>(
          "SELECT count(*)::int AS n FROM audit_events WHERE org_id = $1 AND action LIKE 'attachment.%'",
          [s.orgId],
        )
      ).rows[0]!.n,
    ),
  };
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'bul-attachments-'));
  t = await createTestApp({ BUL_DATA_DIR: dataDir });
  admin = await signUp(t, { orgName: 'Attach A' });
  await t.owner("UPDATE organizations SET plan_id = 'enterprise' WHERE id = $1", [admin.orgId]);
  manager = await addMember(t, admin, 'manager');
  dev = await addMember(t, admin, 'developer');
  dev2 = await addMember(t, admin, 'developer');
  viewer = await addMember(t, admin, 'viewer');
  other = await signUp(t, { orgName: 'Attach B' });
  const project = await api(t, admin, 'POST', '/projects', { name: 'Attachments', status: 'active' });
  expect(project.statusCode, project.body).toBe(201);
  projectId = project.json().id;
  taskAdmin = await createTask(admin, { title: 'Unassigned' });
  taskDev = await createTask(admin, { title: 'For dev', assigneeId: dev.userId });
  taskDev2 = await createTask(admin, { title: 'For dev2', assigneeId: dev2.userId });
});

afterAll(async () => {
  await t?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('upload and download', () => {
  it('keeps the data dir the tests gave it (files never land in the working tree)', () => {
    expect(t.config.dataDir).toBe(path.resolve(dataDir));
  });

  it('stores a real PNG and PDF: 201 with size, SHA-256, detected type; the file is kept under the data dir', async () => {
    const usageBefore = await storageUsage(admin);
    for (const [name, content, type] of [
      ['pixel.png', PNG, 'image/png'],
      ['Report 2024.PDF', PDF, 'application/pdf'],
    ] as const) {
      const res = await upload(admin, taskAdmin, name, content);
      expect(res.statusCode, res.body).toBe(201);
      const a = res.json();
      expect(a).toMatchObject({
        taskId: taskAdmin,
        fileName: name,
        contentType: type,
        sizeBytes: content.length,
        sha256: sha256(content),
        uploadedBy: admin.userId,
        version: 1,
      });
      expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
      // kept as BUL_DATA_DIR/files/<org>/<attachment id>, byte for byte
      const kept = path.join(filesRoot(), admin.orgId, a.id);
      expect(await readFile(kept)).toEqual(content);
      const row = await t.owner('SELECT * FROM task_attachments WHERE id = $1', [a.id]);
      expect(row.rows[0]).toMatchObject({
        org_id: admin.orgId,
        task_id: taskAdmin,
        file_name: name,
        content_type: type,
        sha256: sha256(content),
        uploaded_by: admin.userId,
      });
      expect(Number(row.rows[0]!.size_bytes)).toBe(content.length);
    }
    expect(await storageUsage(admin)).toBe(usageBefore + PNG.length + PDF.length);
    expect(await incomingFiles()).toEqual([]);
  });

  it('lists the attachments of the task and downloads each one with the same bytes, as an attachment', async () => {
    const list = await api(t, admin, 'GET', `/tasks/${taskAdmin}/attachments`);
    expect(list.statusCode, list.body).toBe(200);
    const items = list.json().items as {
      id: string;
      fileName: string;
      contentType: string;
      sha256: string;
    }[];
    expect(items.map((i) => i.fileName).sort()).toEqual(['Report 2024.PDF', 'pixel.png']);
    expect(list.json().nextCursor).toBeNull();
    for (const item of items) {
      const expected = item.fileName === 'pixel.png' ? PNG : PDF;
      // a viewer reads (tasks:read)
      const res = await api(t, viewer, 'GET', `/tasks/${taskAdmin}/attachments/${item.id}`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.rawPayload).toEqual(expected);
      expect(res.headers['content-type']).toBe(item.contentType);
      expect(Number(res.headers['content-length'])).toBe(expected.length);
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="/);
      expect(res.headers['content-disposition']).toContain(
        `filename*=UTF-8''${encodeURIComponent(item.fileName)}`,
      );
      expect(res.headers.digest).toBe(`sha-256=${Buffer.from(sha256(expected), 'hex').toString('base64')}`);
      expect(res.headers['content-security-policy']).toContain('sandbox');
      expect(sha256(res.rawPayload)).toBe(item.sha256);
    }
  });

  it('sanitises the file name (no directory part) and stores the file only under its id', async () => {
    const res = await upload(admin, taskAdmin, '../../../etc/évil name.png', PNG);
    expect(res.statusCode, res.body).toBe(201);
    const a = res.json();
    expect(a.fileName).toBe('évil name.png');
    expect(existsSync(path.join(filesRoot(), admin.orgId, a.id))).toBe(true);
    expect(existsSync(path.join(dataDir, 'etc'))).toBe(false);
    const dl = await api(t, admin, 'GET', `/tasks/${taskAdmin}/attachments/${a.id}`);
    expect(dl.headers['content-disposition']).toBe(
      `attachment; filename="_vil name.png"; filename*=UTF-8''%C3%A9vil%20name.png`,
    );
  });

  it('answers 404 for an unknown attachment, for an attachment named under another task, and for an unknown task', async () => {
    const [someId] = await attachmentRows(admin.orgId);
    expectProblem(
      await api(t, admin, 'GET', `/tasks/${taskAdmin}/attachments/0190a000-0000-7000-8000-000000000000`),
      404,
      'not-found',
    );
    expectProblem(await api(t, admin, 'GET', `/tasks/${taskDev}/attachments/${someId}`), 404, 'not-found');
    expectProblem(await api(t, admin, 'DELETE', `/tasks/${taskDev}/attachments/${someId}`), 404, 'not-found');
    const before = await footprint();
    expectProblem(
      await upload(admin, '0190a000-0000-7000-8000-000000000000', 'x.png', PNG),
      404,
      'not-found',
    );
    expectProblem(
      await api(t, admin, 'GET', '/tasks/0190a000-0000-7000-8000-000000000000/attachments'),
      404,
      'not-found',
    );
    expect(await footprint()).toEqual(before);
    expect(before.rows).toContain(someId);
  });
});

describe('refused uploads store nothing', () => {
  it('refuses a .png that is really text with 415 unsupported-file', async () => {
    const before = await footprint();
    const body = expectProblem(
      await upload(admin, taskAdmin, 'photo.png', 'just some text, not an image'),
      415,
      'unsupported-file',
    );
    expect(body.detail).toMatch(/named \.png/);
    expect(await footprint()).toEqual(before);
  });

  it('refuses an .exe (not in ALLOWED_EXTENSIONS), naming the allowed extensions', async () => {
    const before = await footprint();
    const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200)]);
    const body = expectProblem(await upload(admin, taskAdmin, 'setup.exe', exe), 415, 'unsupported-file');
    expect(body.detail).toMatch(/\.exe are not accepted/);
    expect(body.allowedExtensions).toEqual(t.config.allowedExtensions);
    expect(body.allowedExtensions).toContain('png');
    // a PNG renamed to .pdf: the content decides
    expectProblem(await upload(admin, taskAdmin, 'doc.pdf', PNG), 415, 'unsupported-file');
    // the bidi trick ("photo‮gnp.exe" shown as "photoexe.png") is an .exe
    expectProblem(await upload(admin, taskAdmin, 'photo\u202Egnp.exe', PNG), 415, 'unsupported-file');
    expect(await footprint()).toEqual(before);
  });

  it('refuses a JSON body on the attachments route (415) and a multipart body on a JSON route (415)', async () => {
    const before = await footprint();
    expectProblem(
      await api(t, admin, 'POST', `/tasks/${taskAdmin}/attachments`, { file: 'aGVsbG8=' }),
      415,
      'unsupported-media-type',
    );
    const clientsBefore = await t.owner('SELECT count(*)::int AS n FROM clients WHERE org_id = $1', [
      admin.orgId,
    ]);
    const form = await multipart([
      { name: 'name', value: 'Sneaky client' },
      { name: 'file', filename: 'pixel.png', content: PNG },
    ]);
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/clients',
      headers: { ...admin.headers, ...form.headers },
      payload: form.payload,
    });
    expectProblem(res, 415, 'unsupported-media-type');
    const clientsAfter = await t.owner('SELECT count(*)::int AS n FROM clients WHERE org_id = $1', [
      admin.orgId,
    ]);
    expect(clientsAfter.rows[0]!.n).toBe(clientsBefore.rows[0]!.n);
    expect(await footprint()).toEqual(before);
  });

  it('refuses multipart without exactly one `file` (400 naming file) and an empty file (400 minSize)', async () => {
    const before = await footprint();
    const wrongField = await multipart([{ name: 'attachment', filename: 'a.png', content: PNG }]);
    const r1 = await t.request({
      method: 'POST',
      url: `/api/v1/tasks/${taskAdmin}/attachments`,
      headers: { ...admin.headers, ...wrongField.headers },
      payload: wrongField.payload,
    });
    const b1 = expectProblem(r1, 400, 'validation-failed');
    expect(b1.errors[0]).toMatchObject({ field: 'file', rule: 'required' });
    const two = await multipart([
      { name: 'file', filename: 'a.png', content: PNG },
      { name: 'file', filename: 'b.png', content: PNG },
    ]);
    const r2 = await t.request({
      method: 'POST',
      url: `/api/v1/tasks/${taskAdmin}/attachments`,
      headers: { ...admin.headers, ...two.headers },
      payload: two.payload,
    });
    expect(expectProblem(r2, 400, 'validation-failed').errors[0]).toMatchObject({
      field: 'file',
      rule: 'maxItems',
    });
    const empty = expectProblem(await upload(admin, taskAdmin, 'empty.txt', ''), 400, 'validation-failed');
    expect(empty.errors[0]).toMatchObject({ field: 'file', rule: 'minSize' });
    expect(await footprint()).toEqual(before);
  });
});

describe('who may attach and delete', () => {
  it('lets a developer attach to a task assigned to them, not to anyone else’s (403 naming tasks:manage)', async () => {
    const ok = await upload(dev, taskDev, 'mine.png', PNG);
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().uploadedBy).toBe(dev.userId);

    const before = await footprint();
    for (const task of [taskDev2, taskAdmin]) {
      const body = expectProblem(await upload(dev, task, 'theirs.png', PNG), 403, 'forbidden');
      expect(body.permission).toBe('tasks:manage');
    }
    expect(await footprint()).toEqual(before);
  });

  it('refuses a viewer (no tasks:work) with 403, but lets them list', async () => {
    const before = await footprint();
    const body = expectProblem(await upload(viewer, taskAdmin, 'v.png', PNG), 403, 'forbidden');
    expect(body.permission).toBe('tasks:work');
    expect(await footprint()).toEqual(before);
    const list = await api(t, viewer, 'GET', `/tasks/${taskDev}/attachments`);
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((i: { fileName: string }) => i.fileName)).toEqual(['mine.png']);
  });

  it('lets a manager attach to any task', async () => {
    const res = await upload(manager, taskDev2, 'from-manager.pdf', PDF);
    expect(res.statusCode, res.body).toBe(201);
  });

  it('deletes only the uploader’s own attachment or with tasks:manage; the file and the bytes go, audited', async () => {
    const mine = await upload(dev, taskDev, 'to-delete.pdf', PDF);
    expect(mine.statusCode, mine.body).toBe(201);
    const id = mine.json().id as string;
    const kept = path.join(filesRoot(), admin.orgId, id);
    expect(existsSync(kept)).toBe(true);

    // another developer, a viewer: refused, nothing changes
    const before = await footprint();
    const b1 = expectProblem(
      await api(t, dev2, 'DELETE', `/tasks/${taskDev}/attachments/${id}`),
      403,
      'forbidden',
    );
    expect(b1.permission).toBe('tasks:manage');
    expectProblem(await api(t, viewer, 'DELETE', `/tasks/${taskDev}/attachments/${id}`), 403, 'forbidden');
    expect(await footprint()).toEqual(before);

    // the uploader may
    const del = await api(t, dev, 'DELETE', `/tasks/${taskDev}/attachments/${id}`);
    expect(del.statusCode, del.body).toBe(204);
    expect(existsSync(kept)).toBe(false);
    const after = await footprint();
    expect(after.rows).not.toContain(id);
    expect(after.usage).toBe(before.usage - PDF.length);
    expectProblem(await api(t, dev, 'GET', `/tasks/${taskDev}/attachments/${id}`), 404, 'not-found');

    // a manager deletes someone else's
    const theirs = (await upload(dev, taskDev, 'by-dev.png', PNG)).json().id as string;
    const del2 = await api(t, manager, 'DELETE', `/tasks/${taskDev}/attachments/${theirs}`);
    expect(del2.statusCode, del2.body).toBe(204);
    expect(existsSync(path.join(filesRoot(), admin.orgId, theirs))).toBe(false);

    // audit: create and delete, with the file's facts, the actor and the task
    const { rows } = await t.owner<{
      action: string;
      actor_id: string | null;
      changes: Record<string, { before: unknown; after: unknown }>;
      metadata: Record<string, unknown>;
    }>(
      `SELECT action, actor_id, changes, metadata FROM audit_events
       WHERE org_id = $1 AND resource_type = 'attachment' AND resource_id = $2 ORDER BY created_at, id`,
      [admin.orgId, id],
    );
    expect(rows.map((r) => r.action)).toEqual(['attachment.create', 'attachment.delete']);
    expect(rows[0]!.actor_id).toBe(dev.userId);
    expect(rows[0]!.changes).toEqual({
      fileName: { before: null, after: 'to-delete.pdf' },
      contentType: { before: null, after: 'application/pdf' },
      sizeBytes: { before: null, after: PDF.length },
      sha256: { before: null, after: sha256(PDF) },
    });
    expect(rows[0]!.metadata).toEqual({ taskId: taskDev });
    expect(rows[1]!.changes.sha256).toEqual({ before: sha256(PDF), after: null });
    expect(rows[1]!.metadata).toEqual({ taskId: taskDev });
  });
});

describe('storage: quota and giving bytes back', () => {
  it('usage goes up on upload and down on delete (GET /organization/usage)', async () => {
    const u0 = await storageUsage(admin);
    const a = (await upload(admin, taskAdmin, 'count.pdf', PDF)).json();
    expect(await storageUsage(admin)).toBe(u0 + PDF.length);
    const del = await api(t, admin, 'DELETE', `/tasks/${taskAdmin}/attachments/${a.id}`);
    expect(del.statusCode).toBe(204);
    expect(await storageUsage(admin)).toBe(u0);
  });

  it('refuses an upload beyond the plan’s max_storage_bytes with 403 quota-exceeded naming limit and usage; at the limit is fine', async () => {
    await t.owner(
      `INSERT INTO plans (id, name, max_users, max_api_requests_per_month, max_storage_bytes, sort_order)
       VALUES ('attach-quota', 'Attach quota', NULL, NULL, 1000000, 99)`,
    );
    await t.owner("UPDATE organizations SET plan_id = 'attach-quota' WHERE id = $1", [admin.orgId]);
    try {
      const used = await storageUsage(admin);
      expect(used).toBeGreaterThan(0);
      // room for exactly one more PNG (the PDF is bigger)
      expect(PDF.length).toBeGreaterThan(PNG.length);
      const limit = used + PNG.length;
      await t.owner("UPDATE plans SET max_storage_bytes = $1 WHERE id = 'attach-quota'", [limit]);
      const before = await footprint();
      const body = expectProblem(await upload(admin, taskAdmin, 'big.pdf', PDF), 403, 'quota-exceeded');
      expect(body.limit).toEqual({ name: 'max_storage_bytes', value: limit });
      expect(body.usage).toBe(used);
      expect(body.detail).toContain(String(limit));
      expect(await footprint()).toEqual(before);

      const fits = await upload(admin, taskAdmin, 'fits.png', PNG);
      expect(fits.statusCode, fits.body).toBe(201);
      expect(await storageUsage(admin)).toBe(limit);
      // now full: even one more byte is refused
      const full = await footprint();
      expectProblem(await upload(admin, taskAdmin, 'one.txt', 'x'), 403, 'quota-exceeded');
      expect(await footprint()).toEqual(full);

      // deleting gives room back
      await api(t, admin, 'DELETE', `/tasks/${taskAdmin}/attachments/${fits.json().id}`);
      expect((await upload(admin, taskAdmin, 'again.png', PNG)).statusCode).toBe(201);
    } finally {
      await t.owner("UPDATE organizations SET plan_id = 'enterprise' WHERE id = $1", [admin.orgId]);
      await t.owner("DELETE FROM plans WHERE id = 'attach-quota'");
    }
  });

  it('lets only one of two concurrent uploads through when there is room for one', async () => {
    await t.owner(
      `INSERT INTO plans (id, name, max_users, max_api_requests_per_month, max_storage_bytes, sort_order)
       VALUES ('attach-race', 'Attach race', NULL, NULL, 1000000, 99)`,
    );
    await t.owner("UPDATE organizations SET plan_id = 'attach-race' WHERE id = $1", [admin.orgId]);
    try {
      const used = await storageUsage(admin);
      await t.owner("UPDATE plans SET max_storage_bytes = $1 WHERE id = 'attach-race'", [
        used + PDF.length + 10,
      ]);
      const results = await Promise.all([
        upload(admin, taskAdmin, 'race-1.pdf', PDF),
        upload(admin, taskAdmin, 'race-2.pdf', PDF),
      ]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([201, 403]);
      expect(await storageUsage(admin)).toBe(used + PDF.length);
      const { rows } = await t.owner(
        "SELECT id FROM task_attachments WHERE org_id = $1 AND file_name LIKE 'race-%'",
        [admin.orgId],
      );
      expect(rows).toHaveLength(1);
      expect(await storedFiles(admin.orgId)).toEqual(await attachmentRows(admin.orgId));
      expect(await incomingFiles()).toEqual([]);
    } finally {
      await t.owner("UPDATE organizations SET plan_id = 'enterprise' WHERE id = $1", [admin.orgId]);
      await t.owner("DELETE FROM plans WHERE id = 'attach-race'");
    }
  });

  // Regression: the row is locked before a delete, so of two concurrent deletes one is 404 and the
  // storage bytes are given back once.
  it('two concurrent deletes of one attachment: one 204, one 404, the bytes given back once', async () => {
    const a = (await upload(admin, taskAdmin, 'twice.pdf', PDF)).json();
    const usage = await storageUsage(admin);
    // Made deterministic: the row is locked while both requests start, so that both are inside their
    // transaction, waiting on the row, before either can delete it.
    const locker = new pg.Client({ connectionString: t.ownerUrl });
    await locker.connect();
    let results: LightMyRequestResponse[];
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM task_attachments WHERE id = $1 FOR UPDATE', [a.id]);
      const pending = Promise.all([
        api(t, admin, 'DELETE', `/tasks/${taskAdmin}/attachments/${a.id}`),
        api(t, admin, 'DELETE', `/tasks/${taskAdmin}/attachments/${a.id}`),
      ]);
      for (let i = 0; i < 300; i++) {
        const { rows } = await t.owner<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        );
        if (rows[0]!.n >= 2) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await locker.query('COMMIT');
      results = await pending;
    } finally {
      await locker.end();
    }
    const audit = await t.owner(
      "SELECT 1 FROM audit_events WHERE org_id = $1 AND action = 'attachment.delete' AND resource_id = $2",
      [admin.orgId, a.id],
    );
    const after = await storageUsage(admin);
    if (after !== usage - PDF.length) {
      // put the counter right again for the tests below
      await t.owner(
        "UPDATE usage_counters SET value = value + $2 WHERE org_id = $1 AND metric = 'storage_bytes'",
        [admin.orgId, usage - PDF.length - after],
      );
    }
    expect(results.map((r) => r.statusCode).sort()).toEqual([204, 404]);
    expect(after).toBe(usage - PDF.length);
    expect(audit.rowCount).toBe(1);
  });

  it('refuses a delete with a stale If-Match (412) and keeps the file; the current version deletes', async () => {
    const task = await createTask(admin, { title: 'Versioned file' });
    const id = (await upload(admin, task, 'v.png', PNG)).json().id as string;
    const stale = await t.request({
      method: 'DELETE',
      url: `/api/v1/tasks/${task}/attachments/${id}`,
      headers: { ...admin.headers, 'if-match': '"7"' },
    });
    expectProblem(stale, 412, 'precondition-failed');
    expect(existsSync(path.join(filesRoot(), admin.orgId, id))).toBe(true);
    const ok = await t.request({
      method: 'DELETE',
      url: `/api/v1/tasks/${task}/attachments/${id}`,
      headers: { ...admin.headers, 'if-match': '"1"' },
    });
    expect(ok.statusCode, ok.body).toBe(204);
    expect(existsSync(path.join(filesRoot(), admin.orgId, id))).toBe(false);
  });

  it('deleting a task removes its attachments’ files and gives their bytes back', async () => {
    const task = await createTask(admin, { title: 'Doomed task' });
    const ids = [
      (await upload(admin, task, 'd1.png', PNG)).json().id as string,
      (await upload(admin, task, 'd2.pdf', PDF)).json().id as string,
    ];
    const usage = await storageUsage(admin);
    for (const id of ids) expect(existsSync(path.join(filesRoot(), admin.orgId, id))).toBe(true);
    const del = await api(t, admin, 'DELETE', `/tasks/${task}`);
    expect(del.statusCode, del.body).toBe(204);
    for (const id of ids) expect(existsSync(path.join(filesRoot(), admin.orgId, id))).toBe(false);
    expect(await storageUsage(admin)).toBe(usage - PNG.length - PDF.length);
    const rows = await attachmentRows(admin.orgId);
    for (const id of ids) expect(rows).not.toContain(id);
  });

  it('deleting a project removes the files of every task under it and gives their bytes back', async () => {
    const project = (await api(t, admin, 'POST', '/projects', { name: 'Doomed project' })).json()
      .id as string;
    const t1 = (await api(t, admin, 'POST', '/tasks', { projectId: project, title: 'one' })).json().id;
    const t2 = (await api(t, admin, 'POST', '/tasks', { projectId: project, title: 'two' })).json().id;
    const ids = [
      (await upload(admin, t1, 'p1.png', PNG)).json().id as string,
      (await upload(admin, t2, 'p2.pdf', PDF)).json().id as string,
      (await upload(admin, t2, 'p3.pdf', PDF)).json().id as string,
    ];
    const usage = await storageUsage(admin);
    const del = await api(t, admin, 'DELETE', `/projects/${project}`);
    expect(del.statusCode, del.body).toBe(204);
    for (const id of ids) expect(existsSync(path.join(filesRoot(), admin.orgId, id))).toBe(false);
    expect(await storageUsage(admin)).toBe(usage - PNG.length - 2 * PDF.length);
    // what is left on disk is exactly what the table still knows about
    expect(await storedFiles(admin.orgId)).toEqual(await attachmentRows(admin.orgId));
    // and the usage counter equals the bytes of the remaining rows
    const { rows } = await t.owner<{ n: number }>(
      'SELECT coalesce(sum(size_bytes), 0)::int AS n FROM task_attachments WHERE org_id = $1',
      [admin.orgId],
    );
    expect(await storageUsage(admin)).toBe(rows[0]!.n);
  });
});

describe('another organization', () => {
  it('cannot list, download, attach to or delete A’s attachments (404), and nothing of A changes', async () => {
    const [id] = (
      await t.owner<{ id: string }>('SELECT id FROM task_attachments WHERE task_id = $1 LIMIT 1', [taskAdmin])
    ).rows;
    expect(id).toBeDefined();
    const before = await footprint();
    const otherBefore = await footprint(other);
    expectProblem(await api(t, other, 'GET', `/tasks/${taskAdmin}/attachments`), 404, 'not-found');
    expectProblem(await api(t, other, 'GET', `/tasks/${taskAdmin}/attachments/${id!.id}`), 404, 'not-found');
    expectProblem(
      await api(t, other, 'DELETE', `/tasks/${taskAdmin}/attachments/${id!.id}`),
      404,
      'not-found',
    );
    expectProblem(await upload(other, taskAdmin, 'planted.png', PNG), 404, 'not-found');
    expect(await footprint()).toEqual(before);
    expect(await footprint(other)).toEqual(otherBefore);
  });
});

describe('configured limits', () => {
  let small: TestApp;
  let smallDir: string;
  let owner: Session;
  let task: string;

  beforeAll(async () => {
    smallDir = await mkdtemp(path.join(os.tmpdir(), 'bul-attachments-small-'));
    small = await createTestApp({
      BUL_DATA_DIR: smallDir,
      MAX_UPLOAD_SIZE: '64kb',
      ALLOWED_EXTENSIONS: 'pdf,TXT',
    });
    owner = await signUp(small, { orgName: 'Small limits' });
    const project = (await api(small, owner, 'POST', '/projects', { name: 'P' })).json().id;
    task = (await api(small, owner, 'POST', '/tasks', { projectId: project, title: 'T' })).json().id;
  });
  afterAll(async () => {
    await small?.close();
    if (smallDir) await rm(smallDir, { recursive: true, force: true });
  });

  it('refuses a file over MAX_UPLOAD_SIZE with 413 naming the limit, leaving no file behind; at the limit is fine', async () => {
    expect(small.config.maxUploadSize).toBe(64 * 1024);
    const before = await footprint(owner, small);
    const over = Buffer.concat([PDF, Buffer.alloc(64 * 1024 + 1 - PDF.length, 0x20)]);
    const body = expectProblem(await upload(owner, task, 'big.pdf', over, small), 413, 'payload-too-large');
    expect(body.limit).toBe(64 * 1024);
    expect(body.detail).toBe('the file exceeds the upload limit of 64 KB');
    expect(await footprint(owner, small)).toEqual(before);
    expect(await incomingFiles(small)).toEqual([]);
    // far over the limit too
    expectProblem(
      await upload(owner, task, 'huge.txt', 'x'.repeat(1024 * 1024), small),
      413,
      'payload-too-large',
    );
    expect(await footprint(owner, small)).toEqual(before);

    const atLimit = 'y'.repeat(64 * 1024);
    const ok = await upload(owner, task, 'edge.txt', atLimit, small);
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({
      sizeBytes: 64 * 1024,
      contentType: 'text/plain',
      sha256: sha256(atLimit),
    });
  });

  it('honours ALLOWED_EXTENSIONS (pdf,txt): a real PNG is refused 415, a PDF accepted', async () => {
    expect(small.config.allowedExtensions).toEqual(['pdf', 'txt']);
    const before = await footprint(owner, small);
    const body = expectProblem(await upload(owner, task, 'pixel.png', PNG, small), 415, 'unsupported-file');
    expect(body.allowedExtensions).toEqual(['pdf', 'txt']);
    expect(body.detail).toMatch(/\.png are not accepted \(allowed: pdf, txt\)/);
    expect(await footprint(owner, small)).toEqual(before);
    const ok = await upload(owner, task, 'doc.pdf', PDF, small);
    expect(ok.statusCode, ok.body).toBe(201);
  });
});

describe('disk and table agree', () => {
  it('leaves no temporary file and no orphan: the files on disk are exactly the attachment rows', async () => {
    expect(await incomingFiles()).toEqual([]);
    for (const s of [admin, other]) {
      expect(await storedFiles(s.orgId)).toEqual(await attachmentRows(s.orgId));
    }
    const orgDirs = (await readdir(filesRoot())).filter((d) => d !== '.incoming');
    expect(orgDirs).toEqual([admin.orgId]); // B never stored anything
  });
});
