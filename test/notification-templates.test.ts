// Notification templates (issue 16, part 2 and "Bad input"): the liquidjs sandbox (no file
// access, no prototype walking, runaway loops stopped), check() refusing at save what could not
// render at send (with field, line and column), HTML escaped for e-mail only, the variables of
// each event from the event catalogue, and every built-in template rendering cleanly in en, es
// and pt-BR. Pure code: no database.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_CHANNELS } from '../src/modules/notifications/channels/provider.ts';
import {
  BUILTIN_EVENT_TYPES,
  BUILTIN_TEMPLATES,
  builtinTemplate,
  genericTemplate,
} from '../src/modules/notifications/templates/builtin.ts';
import {
  type TemplateContent,
  TemplateEngine,
  TemplateRenderError,
} from '../src/modules/notifications/templates/engine.ts';
import { sampleVariables, variablesOf } from '../src/modules/notifications/templates/variables.ts';
import { EVENT_CATALOGUE } from '../src/platform/events/catalogue.ts';
import { LOCALES } from '../src/platform/i18n/locale.ts';

const engine = new TemplateEngine();
const body = (text: string): TemplateContent => ({ subject: null, body: text, whatsappTemplate: null });

describe('built-in templates', () => {
  it('cover every built-in event on every text channel in en, es and pt-BR', () => {
    const wanted = [
      'task.assigned',
      'task.due_soon',
      'project.status_changed',
      'comment.added',
      'security.locked_out',
      'security.mfa_changed',
      'security.login_failed',
      'member.joined',
      'webhook.endpoint_disabled',
      'notification.test',
      'message.custom',
      'security.new_login_location',
      'alert.fired',
      'alert.resolved',
      'backup.failed',
    ];
    expect([...BUILTIN_EVENT_TYPES].sort()).toEqual([...wanted].sort());
    for (const eventType of wanted)
      for (const channel of DELIVERY_CHANNELS)
        for (const language of LOCALES) {
          const t = builtinTemplate(eventType, channel, language);
          expect(t, `${eventType} ${channel} ${language}`).toMatchObject({ eventType, channel, language });
        }
    expect(builtinTemplate('invoice.created', 'email', 'es')).toBeNull();
  });

  it('each passes check() and renders its sample data without leftovers, SMS within 160 characters', async () => {
    expect(BUILTIN_TEMPLATES.length).toBe(15 * 9 * 3);
    for (const t of BUILTIN_TEMPLATES) {
      const where = `${t.eventType} ${t.channel} ${t.language}`;
      expect(engine.check(t, t.eventType, t.language), where).toEqual([]);
      const vars = sampleVariables(t.eventType, t.language);
      const r = await engine.render(t, vars, t.channel, {
        language: t.language,
        timeZone: 'America/Sao_Paulo',
      });
      for (const out of [r.subject ?? '', r.text, r.html ?? '', ...(r.whatsappTemplate?.parameters ?? [])]) {
        expect(out, where).not.toMatch(/\{\{|\}\}|\{%|%\}|undefined|\[object Object\]|NaN/);
      }
      expect(r.text.trim(), where).not.toBe('');
      expect(r.text, where).toBe(r.text.trimEnd());
      expect(r.html !== null, where).toBe(t.channel === 'email');
      expect(r.whatsappTemplate !== null, where).toBe(t.channel === 'whatsapp');
      if (t.channel === 'sms') expect(r.text.length, `${where}: ${r.text}`).toBeLessThanOrEqual(160);
      if (t.channel === 'whatsapp') {
        expect(r.whatsappTemplate?.name).toBe(`bul_${t.eventType.replace('.', '_')}`);
        expect(r.whatsappTemplate?.language).toBe({ en: 'en', es: 'es', 'pt-BR': 'pt_BR' }[t.language]);
        for (const p of r.whatsappTemplate?.parameters ?? []) expect(p).not.toMatch(/[\n\t]| {5}/);
      }
      if (t.subject !== null) expect(r.subject ?? '', where).not.toMatch(/\n/);
    }
  });

  it('speak the language asked, with its accents, and English when a language has no template', async () => {
    const es = builtinTemplate('task.assigned', 'email', 'es');
    const pt = builtinTemplate('task.assigned', 'email', 'pt-BR');
    if (!es || !pt) throw new Error('missing built-ins');
    const rEs = await engine.render(es, sampleVariables('task.assigned', 'es'), 'email', { language: 'es' });
    expect(rEs.subject).toBe('Tarea asignada: Revisar el presupuesto del tercer trimestre');
    expect(rEs.text).toContain('María José Núñez te asignó la tarea');
    expect(rEs.text).toContain('Vence el 14 de marzo de 2026.');
    expect(rEs.html).toContain('<html lang="es"');
    const rPt = await engine.render(pt, sampleVariables('task.assigned', 'pt-BR'), 'email', {
      language: 'pt-BR',
    });
    expect(rPt.subject).toBe('Tarefa atribuída: Revisar o orçamento do 3º trimestre');
    expect(rPt.text).toContain('O prazo é 14 de março de 2026.');
    // a language outside the three falls back to English
    expect(builtinTemplate('task.assigned', 'sms', 'fr' as 'en')?.language).toBe('en');
  });

  it('project.status_changed says completed for completed, and reads well for any other move', async () => {
    const t = builtinTemplate('project.status_changed', 'email', 'en');
    if (!t) throw new Error('missing built-in');
    const vars = sampleVariables('project.status_changed', 'en');
    const done = await engine.render(t, vars, 'email');
    expect(done.subject).toBe('Project completed: Website redesign');
    expect(done.text).toContain('Alex Morgan marked the project Website redesign as completed.');
    const held = await engine.render(
      t,
      { ...vars, payload: { id: 'p', from: 'active', to: 'on_hold' } },
      'email',
    );
    expect(held.subject).toBe('Website redesign is now on hold');
    expect(held.text).toContain('changed the status of the project Website redesign from active to on hold.');
    const es = builtinTemplate('project.status_changed', 'push', 'es');
    if (!es) throw new Error('missing built-in');
    const heldEs = await engine.render(
      es,
      {
        ...sampleVariables('project.status_changed', 'es'),
        payload: { id: 'p', from: 'active', to: 'on_hold' },
      },
      'push',
      { language: 'es' },
    );
    expect(heldEs.text).toBe('El proyecto Rediseño del sitio web ahora está en pausa (antes: activo).');
  });

  it('events without a built-in get a generic template that checks and renders', async () => {
    const t = genericTemplate('invoice.created', 'email', 'pt-BR');
    expect(engine.check(t, 'invoice.created', 'pt-BR')).toEqual([]);
    const r = await engine.render(t, sampleVariables('invoice.created', 'pt-BR'), 'email', {
      language: 'pt-BR',
    });
    expect(r.subject).toBe('Nova atividade em Ateliê Ipê');
  });
});

describe('escaping', () => {
  it('escapes variables in the e-mail HTML, even through `| raw`, and leaves the text plain', async () => {
    const t = builtinTemplate('task.assigned', 'email', 'en');
    if (!t) throw new Error('missing built-in');
    const vars = sampleVariables('task.assigned', 'en');
    vars.resource = { ...(vars.resource as object), title: '<script>alert(1)</script>' };
    const r = await engine.render(t, vars, 'email');
    expect(r.text).toContain('"<script>alert(1)</script>"');
    expect(r.subject).toBe('Task assigned: <script>alert(1)</script>');
    expect(r.html).not.toContain('<script>');
    expect(r.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // the subject in <title> and aria-label is escaped too
    expect(r.html).toContain('<title>Task assigned: &lt;script&gt;alert(1)&lt;/script&gt;</title>');

    const raw = await engine.render(body('{{ resource.title | raw }}'), vars, 'email');
    expect(raw.html).not.toContain('<script>');
    expect(raw.text).toBe('<script>alert(1)</script>');
  });

  it('lays the e-mail out as paragraphs with an unsubscribe footer when there is a URL', async () => {
    const vars = {
      unsubscribeUrl: 'https://bul.example.com/u?t=a&b=1',
      link: 'https://bul.example.com/tasks/1',
    };
    const r = await engine.render(body('One\ntwo\n\n\nThree {{ link }}.  \n'), vars, 'email', {
      language: 'pt-BR',
    });
    expect(r.text).toBe('One\ntwo\n\nThree https://bul.example.com/tasks/1.');
    expect(r.html).toContain('<p style="margin:0 0 16px">One<br>\ntwo</p>');
    expect(r.html).toContain(
      '<a href="https://bul.example.com/tasks/1">https://bul.example.com/tasks/1</a>.</p>',
    );
    expect(r.html).toContain('<a href="https://bul.example.com/u?t=a&amp;b=1"');
    expect(r.html).toContain('Cancelar a inscrição nestes e-mails');
    expect(r.html).toContain('<html lang="pt-BR"');
    const none = await engine.render(body('Hi'), {}, 'email');
    expect(none.html).not.toContain('<footer');
    const sms = await engine.render(body('Hi'), vars, 'sms');
    expect(sms.html).toBeNull();
    expect(sms.whatsappTemplate).toBeNull();
  });

  it('keeps a subject to one line of at most 200 characters', async () => {
    const r = await engine.render(
      { subject: 'A\n  {{ long }}\r\nB', body: 'x', whatsappTemplate: null },
      { long: 'é'.repeat(300) },
      'push',
    );
    expect(r.subject).not.toMatch(/[\r\n]/);
    expect(Array.from(r.subject ?? '').length).toBe(200);
    expect(r.subject?.startsWith('A éé')).toBe(true);
    expect(r.subject?.endsWith('…')).toBe(true);
  });
});

describe('check() at save', () => {
  it('reports a syntax error with its field, line and column', () => {
    const problems = engine.check(
      {
        subject: 'Hello',
        body: 'Line one\nLine two\n  {% if payload.id %}never closed',
        whatsappTemplate: null,
      },
      'task.assigned',
    );
    expect(problems).toEqual([
      { field: 'body', line: 3, column: 3, reason: 'tag {% if payload.id %} not closed' },
    ]);
    const inSubject = engine.check(
      { subject: 'Hi {{ recipient.name', body: 'x', whatsappTemplate: null },
      'task.assigned',
    );
    expect(inSubject).toHaveLength(1);
    expect(inSubject[0]).toMatchObject({ field: 'subject', line: 1, column: 4 });
    expect(inSubject[0]?.reason).toMatch(/not closed/);
  });

  it('refuses an unknown filter, a misspelt variable and a bad WhatsApp parameter', () => {
    expect(engine.check(body('Hi\n{{ recipient.name | shout }}'), 'task.assigned')).toEqual([
      { field: 'body', line: 2, column: 1, reason: 'undefined filter: shout' },
    ]);
    expect(engine.check(body('{{ payload.asigneeId }}'), 'task.assigned')).toEqual([
      { field: 'body', line: 1, column: 4, reason: 'undefined variable: payload.asigneeId' },
    ]);
    const wa = engine.check(
      {
        subject: null,
        body: 'x',
        whatsappTemplate: {
          name: 'Bul Task',
          language: 'pt_BR',
          parameters: ['{{ link }}', '{{ link | nope }}'],
        },
      },
      'task.assigned',
    );
    expect(wa.map((p) => p.field)).toEqual(['whatsappTemplate.name', 'whatsappTemplate.parameters.1']);
  });

  it('stops a runaway loop and a string bomb by the limits, and reports them', () => {
    const loop = engine.check(body('ok\n{% for i in (1..100000000) %}{{ i }}{% endfor %}'), 'task.assigned');
    expect(loop).toHaveLength(1);
    expect(loop[0]).toMatchObject({ field: 'body', line: 2, column: 1 });
    expect(loop[0]?.reason).toMatch(/limit exceeded/);
    // no allocation, just time: the render limit
    const slow = engine.check(body('{% for i in (1..3000000) %}{{ i }}{% endfor %}'), 'task.assigned');
    expect(slow[0]?.reason).toMatch(/limit exceeded/);
    const bomb = engine.check(
      body("{% assign a = 'xx' %}{% for i in (1..40) %}{% assign a = a | append: a %}{% endfor %}{{ a }}"),
      'task.assigned',
    );
    expect(bomb[0]?.reason).toMatch(/limit exceeded/);
  });

  it('refuses an empty body and an over-long source', () => {
    expect(engine.check(body('  '), 'task.assigned').map((p) => p.reason)).toContain('empty');
    expect(engine.check(body('x'.repeat(50_001)), 'task.assigned')[0]?.reason).toMatch(/longer than/);
  });

  it('checks with the common variables for an event type it does not know', () => {
    expect(engine.check(body('{{ org.name }} {{ event.type }}'), 'something.new')).toEqual([]);
    expect(engine.check(body('{{ payload.id }}'), 'something.new')[0]?.reason).toBe(
      'undefined variable: payload.id',
    );
  });
});

describe('sandbox', () => {
  let dir: string;
  let cwd: string;
  beforeAll(() => {
    cwd = process.cwd();
    dir = mkdtempSync(path.join(tmpdir(), 'bul-liquid-'));
    for (const name of ['x', 'x.liquid', 'secret.liquid'])
      writeFileSync(path.join(dir, name), 'FILE CONTENT');
    process.chdir(dir);
  });
  afterAll(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('has no include, render or layout: refused at check, never reading a file', async () => {
    const fresh = new TemplateEngine(); // created in the directory holding x.liquid
    for (const src of [
      "{% include 'x' %}",
      "{% render 'x' %}",
      "{% layout 'x' %}",
      "{% include 'secret.liquid' %}",
    ]) {
      const problems = fresh.check(body(`before\n${src}`), 'task.assigned');
      expect(problems, src).toHaveLength(1);
      expect(problems[0], src).toMatchObject({ field: 'body', line: 2, column: 1 });
      expect(problems[0]?.reason, src).toMatch(/tag "(include|render|layout)" not found/);
      await expect(fresh.render(body(src), {}, 'email')).rejects.toBeInstanceOf(TemplateRenderError);
    }
  });

  it('renders prototype access empty', async () => {
    const vars = sampleVariables('task.assigned', 'en');
    const src =
      '[{{ payload.constructor }}][{{ x.__proto__ }}][{{ payload.constructor.constructor }}]' +
      "[{{ resource.title.constructor.name }}][{{ payload['__proto__'] }}][{{ payload.hasOwnProperty }}]" +
      "[{{ payload | map: 'constructor' | join }}][{{ payload.toString }}]";
    const r = await engine.render(body(src), { ...vars, x: {} }, 'sms');
    expect(r.text).toBe('[][][][][][][][]');
  });
});

describe('variables', () => {
  it('lists the payload fields of task.assigned from the catalogue, with descriptions and examples', () => {
    const vars = variablesOf('task.assigned');
    const names = vars.map((v) => v.name);
    const payloadFields = Object.keys(
      (EVENT_CATALOGUE['task.assigned'].payload as unknown as { properties: object }).properties,
    );
    expect(names.filter((n) => n.startsWith('payload.'))).toEqual(payloadFields.map((f) => `payload.${f}`));
    expect(vars.find((v) => v.name === 'payload.assigneeId')).toEqual({
      name: 'payload.assigneeId',
      description: "The new assignee's user id (null: unassigned).",
      example: '0195e8d4-5f6a-7b3c-9d2e-8a7b6c5d4e3f',
    });
    for (const common of [
      'event.id',
      'actor.name',
      'recipient.email',
      'org.name',
      'link',
      'unsubscribeUrl',
      'priority',
    ])
      expect(names).toContain(common);
    expect(names).toEqual(
      expect.arrayContaining(['resource.title', 'resource.dueDate', 'resource.projectName']),
    );
  });

  it('takes a description from the schema when it has one', () => {
    const failingSince = variablesOf('webhook.endpoint_disabled').find(
      (v) => v.name === 'payload.failingSince',
    );
    expect(failingSince?.description).toBe('The first failed attempt of the streak.');
  });

  it('documents the notification-only events and gives unknown types the common variables only', () => {
    expect(variablesOf('task.due_soon').map((v) => v.name)).toEqual(
      expect.arrayContaining(['payload.dueDate', 'payload.assigneeId', 'resource.title']),
    );
    expect(variablesOf('message.custom').map((v) => v.name)).toEqual(
      expect.arrayContaining(['payload.subject', 'payload.body']),
    );
    expect(variablesOf('notification.test').map((v) => v.name)).toContain('payload.channel');
    const unknown = variablesOf('no.such_event').map((v) => v.name);
    expect(unknown).toContain('org.name');
    expect(unknown.some((n) => n.startsWith('payload.') || n.startsWith('resource.'))).toBe(false);
  });

  it('gives every documented variable a sample value in each language, so check() accepts them all', () => {
    for (const eventType of [
      ...Object.keys(EVENT_CATALOGUE),
      'task.due_soon',
      'notification.test',
      'message.custom',
    ])
      for (const language of LOCALES) {
        const source = variablesOf(eventType)
          .map((v) => `{{ ${v.name} }}`)
          .join('\n');
        expect(engine.check(body(source), eventType, language), `${eventType} ${language}`).toEqual([]);
      }
    expect(sampleVariables('comment.added', 'es').resource).toMatchObject({
      excerpt: expect.stringContaining('¿puedes revisar'),
    });
  });
});
