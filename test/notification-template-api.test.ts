// Notification templates through the API (issue 16, part 2 "Templates" and "Bad input"): immutable,
// numbered versions; publish, rollback and unpublish, proven end to end by what a member's inbox
// receives; a template that cannot parse or render refused at save with its field, line and column
// in the caller's language; preview with sample data (HTML escaped in e-mail); the variables of an
// event; and the permission. Real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../src/platform/db/transaction.ts';
import { apiHelpers } from './support/api-helpers.ts';
import { expectFieldError, expectProblem } from './support/problems.ts';
import { addMember, createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let admin: Session;
let manager: Session;
let member: Session;
const { api, auditTrail } = apiHelpers(
  () => t,
  () => admin,
);

beforeAll(async () => {
  t = await createTestApp();
  admin = await signUp(t, { orgName: 'Templates Org' });
  manager = await addMember(t, admin, 'manager');
  member = await addMember(t, admin, 'user');
});

afterAll(async () => {
  await t?.close();
});

const TASK_ASSIGNED_IN_APP = { eventType: 'task.assigned', channel: 'in_app', language: 'en' } as const;

async function saveVersion(payload: Record<string, unknown>, s: Session = admin) {
  const res = await api(s, 'POST', '/notifications/templates/versions', {
    ...TASK_ASSIGNED_IN_APP,
    ...payload,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as {
    template: { id: string; publishedVersion: number | null; latestVersion: number; version: number };
    version: { number: number; published: boolean; body: string };
  };
}

/** Sends task.assigned to the member's inbox and answers what the member reads there. */
async function sendAndRead(taskRef: string): Promise<{ subject: string | null; body: string }> {
  const sent = await api(admin, 'POST', '/notifications/send', {
    to: { userIds: [member.userId] },
    channels: ['in_app'],
    template: { eventType: 'task.assigned', variables: { id: taskRef } },
  });
  expect(sent.statusCode, sent.body).toBe(202);
  expect(sent.json().counts, sent.body).toEqual({ delivered: 1 });
  const inbox = await api(member, 'GET', '/me/notifications');
  expect(inbox.statusCode, inbox.body).toBe(200);
  const newest = (inbox.json().items as { subject: string | null; body: string }[])[0]!;
  return { subject: newest.subject, body: newest.body };
}

async function versionRows(templateId: string) {
  const { rows } = await t.owner<{ number: number; body: string }>(
    'SELECT number, body FROM notification_template_versions WHERE template_id = $1 ORDER BY number',
    [templateId],
  );
  return rows;
}

describe('versions, publish and rollback', () => {
  let templateId: string;

  it('numbers versions from 1, publishes on request, and never changes a saved version', async () => {
    const v1 = await saveVersion({
      subject: 'V1 {{ resource.title }}',
      body: 'Org v1: task {{ payload.id }} for {{ recipient.name }}',
      note: 'first',
      publish: true,
    });
    templateId = v1.template.id;
    expect(v1.version).toMatchObject({ number: 1, published: true });
    expect(v1.template).toMatchObject({ publishedVersion: 1, latestVersion: 1 });

    const v2 = await saveVersion({ subject: 'V2', body: 'Org v2: task {{ payload.id }}' });
    expect(v2.template.id).toBe(templateId);
    expect(v2.version).toMatchObject({ number: 2, published: false });
    expect(v2.template).toMatchObject({ publishedVersion: 1, latestVersion: 2 });

    const got = await api(admin, 'GET', `/notifications/templates/${templateId}`);
    expect(got.statusCode, got.body).toBe(200);
    expect(got.json()).toMatchObject({ ...TASK_ASSIGNED_IN_APP, publishedVersion: 1, latestVersion: 2 });
    expect(got.json().versions.map((v: { number: number; published: boolean; note: string }) => v)).toEqual([
      expect.objectContaining({ number: 2, published: false, note: '', createdBy: admin.userId }),
      expect.objectContaining({
        number: 1,
        published: true,
        note: 'first',
        subject: 'V1 {{ resource.title }}',
      }),
    ]);

    // The application's own database role cannot rewrite history, even in its tenant.
    const before = await versionRows(templateId);
    await expect(
      new Db(t.pool).transaction({ orgId: admin.orgId, userId: admin.userId }, (tx) =>
        tx.query("UPDATE notification_template_versions SET body = 'rewritten' WHERE template_id = $1", [
          templateId,
        ]),
      ),
    ).rejects.toThrow(/permission denied/);
    expect(await versionRows(templateId)).toEqual(before);

    const trail = await auditTrail('notification_template', templateId);
    expect(trail.map((e) => [e.action, e.metadata?.version])).toEqual([
      ['notification_template.version', 1],
      ['notification_template.publish', 1],
      ['notification_template.version', 2],
    ]);
    expect(trail[1]!.metadata).toMatchObject({ eventType: 'task.assigned', previousVersion: null });
  });

  it('sends the published version: v1, then v2, rollback to v1, unpublish back to the built-in', async () => {
    expect(await sendAndRead('T-1')).toEqual({
      subject: 'V1', // the API send loads no resource: resource.title renders empty
      body: 'Org v1: task T-1 for Member user',
    });

    const v2 = await api(admin, 'POST', `/notifications/templates/${templateId}/publish`, { version: 2 });
    expect(v2.statusCode, v2.body).toBe(200);
    expect(v2.json()).toMatchObject({ publishedVersion: 2, latestVersion: 2 });
    expect(await sendAndRead('T-2')).toEqual({ subject: 'V2', body: 'Org v2: task T-2' });

    // Rollback, guarded by If-Match: a stale version is refused and changes nothing.
    const stale = await api(
      admin,
      'POST',
      `/notifications/templates/${templateId}/publish`,
      { version: 1 },
      { 'if-match': `"${v2.json().version - 1}"` },
    );
    expectProblem(stale, 412, 'precondition-failed');
    const back = await api(
      admin,
      'POST',
      `/notifications/templates/${templateId}/publish`,
      { version: 1 },
      { 'if-match': `"${v2.json().version}"` },
    );
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json()).toMatchObject({ publishedVersion: 1, latestVersion: 2 });
    expect((await sendAndRead('T-3')).body).toBe('Org v1: task T-3 for Member user');

    const none = await api(admin, 'POST', `/notifications/templates/${templateId}/unpublish`);
    expect(none.statusCode, none.body).toBe(200);
    expect(none.json()).toMatchObject({ publishedVersion: null, latestVersion: 2 });
    const builtin = await sendAndRead('T-4');
    expect(builtin.body).toMatch(/^Hi Member user,\n\n.* assigned you the task/);
    expect(builtin.body).not.toContain('Org v');

    const trail = await auditTrail('notification_template', templateId);
    expect(
      trail
        .filter((e) => e.action === 'notification_template.publish')
        .map((e) => [e.metadata?.previousVersion, e.metadata?.version]),
    ).toEqual([
      [null, 1],
      [1, 2],
      [2, 1],
      [1, null],
    ]);
  });

  it('answers 404 for a version never saved and for an unknown template, changing nothing', async () => {
    const res = await api(admin, 'POST', `/notifications/templates/${templateId}/publish`, { version: 99 });
    const body = expectProblem(res, 404, 'not-found');
    expect(body.detail).toContain('template version');
    expectProblem(
      await api(admin, 'GET', '/notifications/templates/0195f3c1-2b4a-7e10-8c2d-1f2e3d4c5b6a'),
      404,
      'not-found',
    );
    const got = await api(admin, 'GET', `/notifications/templates/${templateId}`);
    expect(got.json()).toMatchObject({ publishedVersion: null, latestVersion: 2 });
  });

  it("lists the organization's templates with the built-in ones it has not made its own", async () => {
    const res = await api(admin, 'GET', '/notifications/templates?eventType=task.assigned');
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as { source: string; channel: string; language: string }[];
    expect(items).toHaveLength(9 * 3); // every channel × language has one or the other
    expect(items.filter((i) => i.source === 'organization')).toEqual([
      {
        ...TASK_ASSIGNED_IN_APP,
        source: 'organization',
        templateId,
        publishedVersion: null,
        latestVersion: 2,
      },
    ]);
    expect(items.find((i) => i.channel === 'email' && i.language === 'es')).toEqual({
      eventType: 'task.assigned',
      channel: 'email',
      language: 'es',
      source: 'builtin',
      templateId: null,
      publishedVersion: null,
      latestVersion: null,
    });
    const all = (await api(admin, 'GET', '/notifications/templates')).json().items as {
      eventType: string;
    }[];
    expect([...new Set(all.map((i) => i.eventType))]).toEqual(
      expect.arrayContaining(['task.assigned', 'security.locked_out', 'message.custom']),
    );
  });
});

describe('bad templates are refused at save', () => {
  const templateCount = async () =>
    (
      await t.owner<{ n: number }>(
        'SELECT (SELECT count(*) FROM notification_templates) + (SELECT count(*) FROM notification_template_versions) AS n',
      )
    ).rows[0]!.n;

  it('a syntax error names body with its line and column, in the caller language', async () => {
    const before = await templateCount();
    const payload = {
      eventType: 'project.status_changed',
      channel: 'email',
      language: 'en',
      subject: 'Status',
      body: 'Hello\nthere {% if recipient.name %}x',
    };
    const en = await api(admin, 'POST', '/notifications/templates/versions', payload);
    const body = expectFieldError(en, 'body', 'template');
    expect(body.errors).toEqual([
      expect.objectContaining({
        field: 'body',
        rule: 'template',
        message: 'line 2, column 7: tag {% if recipient.name %} not closed',
      }),
    ]);
    const es = await api(admin, 'POST', '/notifications/templates/versions', payload, {
      'accept-language': 'es',
    });
    expect(expectFieldError(es, 'body', 'template').errors[0].message).toBe(
      'Línea 2, columna 7: tag {% if recipient.name %} not closed',
    );
    expect(await templateCount()).toBe(before);
  });

  it('refuses an unknown Liquid filter, a misspelt variable and a bad WhatsApp parameter, one error each', async () => {
    const res = await api(admin, 'POST', '/notifications/templates/versions', {
      eventType: 'task.assigned',
      channel: 'whatsapp',
      language: 'pt-BR',
      subject: 'Oi {{ recipient.nmae }}',
      body: 'Olá\n  {{ recipient.name | shout }}',
      whatsappTemplate: { name: 'bul_task_assigned', language: 'pt_BR', parameters: ['{{ nope }}'] },
    });
    const body = expectFieldError(res, 'body', 'template');
    expect(body.errors.map((e: { field: string; message: string }) => [e.field, e.message])).toEqual([
      ['subject', 'line 1, column 7: undefined variable: recipient.nmae'],
      ['body', 'line 2, column 3: undefined filter: shout'],
      ['whatsappTemplate.parameters.0', 'line 1, column 4: undefined variable: nope'],
    ]);
    // A WhatsApp template on another channel would be ignored at send: refused instead.
    const misplaced = await api(admin, 'POST', '/notifications/templates/versions', {
      ...TASK_ASSIGNED_IN_APP,
      body: 'Hi',
      whatsappTemplate: { name: 'bul_task_assigned', language: 'en', parameters: [] },
    });
    expectFieldError(misplaced, 'whatsappTemplate', 'channel');
  });

  it('refuses an event type that is neither catalogued nor notification-only, and unknown list filters', async () => {
    const res = await api(admin, 'POST', '/notifications/templates/versions', {
      eventType: 'task.exploded',
      channel: 'email',
      language: 'en',
      body: 'Hi',
    });
    expect(expectFieldError(res, 'eventType', 'eventType').errors[0].message).toContain('task.exploded');
    expectFieldError(
      await api(admin, 'GET', '/notifications/templates?eventType=task.exploded'),
      'eventType',
    );
    expectFieldError(await api(admin, 'GET', '/notifications/templates?status=published'), 'status');
    expectFieldError(
      await api(admin, 'POST', '/notifications/templates/versions', {
        ...TASK_ASSIGNED_IN_APP,
        channel: 'fax',
        body: 'Hi',
      }),
      'channel',
    );
    expectFieldError(
      await api(admin, 'POST', '/notifications/templates/versions', {
        ...TASK_ASSIGNED_IN_APP,
        language: 'fr',
        body: 'Hi',
      }),
      'language',
    );
    // Notification-only types are templatable: task.due_soon (catalogued), notification.test (not).
    await saveVersion({ eventType: 'notification.test', body: 'Testing {{ payload.channel }}' });
  });
});

describe('preview and variables', () => {
  it('renders with the sample data of the event and language', async () => {
    const res = await api(admin, 'POST', '/notifications/templates/preview', {
      eventType: 'task.assigned',
      channel: 'push',
      language: 'es',
      subject: 'Tarea: {{ resource.title }}',
      body: 'Hola, {{ recipient.name }}: {{ resource.dueDate | local_date }}',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      subject: 'Tarea: Revisar el presupuesto del tercer trimestre',
      text: expect.stringMatching(/^Hola, Andrés Gómez: 14 .*2026$/),
      html: null,
      whatsappTemplate: null,
    });
  });

  it('lays the given variables over the samples and escapes them in the e-mail HTML only', async () => {
    const res = await api(admin, 'POST', '/notifications/templates/preview', {
      eventType: 'task.assigned',
      channel: 'email',
      language: 'en',
      subject: 'Assigned: {{ resource.title }}',
      body: '{{ resource.title }} in {{ resource.projectName }}',
      variables: { resource: { title: '<script>alert(1)</script> & more' } },
    });
    expect(res.statusCode, res.body).toBe(200);
    const p = res.json();
    expect(p.subject).toBe('Assigned: <script>alert(1)</script> & more');
    expect(p.text).toBe('<script>alert(1)</script> & more in Website redesign');
    expect(p.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; more in Website redesign');
    expect(p.html).not.toContain('<script>alert');
  });

  it('refuses to preview a template that does not check, like a save', async () => {
    const res = await api(
      admin,
      'POST',
      '/notifications/templates/preview',
      { ...TASK_ASSIGNED_IN_APP, body: 'Hi\n{{ recipient.name' },
      { 'accept-language': 'pt-BR' },
    );
    expect(expectFieldError(res, 'body', 'template').errors[0].message).toMatch(/^Linha 2, coluna 1: /);
  });

  it('documents the variables of an event', async () => {
    const res = await api(admin, 'GET', '/notifications/templates/variables?eventType=task.assigned');
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as { name: string; description: string; example: string }[];
    expect(res.json().eventType).toBe('task.assigned');
    expect(items.find((i) => i.name === 'payload.assigneeId')).toEqual({
      name: 'payload.assigneeId',
      description: expect.stringContaining('assignee'),
      example: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(items.map((i) => i.name)).toEqual(expect.arrayContaining(['recipient.name', 'resource.title']));
    const dueSoon = await api(admin, 'GET', '/notifications/templates/variables?eventType=task.due_soon');
    expect(dueSoon.json().items.map((i: { name: string }) => i.name)).toContain('payload.dueDate');
    expectFieldError(
      await api(admin, 'GET', '/notifications/templates/variables?eventType=nope.nothing'),
      'eventType',
    );
    expectFieldError(await api(admin, 'GET', '/notifications/templates/variables'), 'eventType');
  });

  it("answers BUL's built-in text of a template, in the language asked, English where it has none", async () => {
    const es = await api(
      admin,
      'GET',
      '/notifications/templates/builtin?eventType=task.assigned&channel=email&language=es',
    );
    expect(es.statusCode, es.body).toBe(200);
    expect(es.json()).toMatchObject({ eventType: 'task.assigned', channel: 'email', language: 'es' });
    expect(es.json().body).toContain('{{');
    expect(es.json().subject).toMatch(/tarea/i);
    // It passes the check a save runs: an admin can publish it as it is.
    const saved = await saveVersion({
      eventType: 'task.assigned',
      channel: 'email',
      language: 'es',
      subject: es.json().subject,
      body: es.json().body,
    });
    expect(saved.version.number).toBe(1);
    expectFieldError(
      await api(
        admin,
        'GET',
        '/notifications/templates/builtin?eventType=nope.nothing&channel=email&language=es',
      ),
      'eventType',
    );
    expectProblem(
      await api(
        manager,
        'GET',
        '/notifications/templates/builtin?eventType=task.assigned&channel=email&language=es',
      ),
      403,
      'forbidden',
    );
  });
});

describe('permission', () => {
  it('refuses every template route to a member without notifications:manage', async () => {
    const attempts = [
      api(manager, 'GET', '/notifications/templates'),
      api(manager, 'POST', '/notifications/templates/versions', { ...TASK_ASSIGNED_IN_APP, body: 'Hi' }),
      api(manager, 'POST', '/notifications/templates/preview', { ...TASK_ASSIGNED_IN_APP, body: 'Hi' }),
      api(manager, 'GET', '/notifications/templates/variables?eventType=task.assigned'),
    ];
    for (const res of await Promise.all(attempts)) expectProblem(res, 403, 'forbidden');
    const { rows } = await t.owner<{ n: number }>(
      "SELECT count(*)::int AS n FROM notification_template_versions v JOIN notification_templates t ON t.org_id = v.org_id AND t.id = v.template_id WHERE t.org_id = $1 AND t.event_type = 'task.assigned' AND t.channel = 'in_app'",
      [admin.orgId],
    );
    expect(rows[0]!.n).toBe(2);
  });
});
