// The notification template engine: liquidjs in a sandbox (no file access, no include/render/
// layout, own properties only, unknown filters refused, time and memory limits), one instance for
// text and one that HTML-escapes every variable for the e-mail HTML part. check() is what the
// template routes call at save: parse errors with line and column, then a trial render with the
// event's sample variables, so a template that cannot render is refused at save, never at send.
import { createHash } from 'node:crypto';
import { Liquid, type Template } from 'liquidjs';
import type { Locale } from '../../../platform/i18n/locale.ts';
import type { DeliveryChannel, RenderedMessage } from '../channels/provider.ts';
import { emailLayout, textToHtml } from './email-layout.ts';
import { RENDER_SETTINGS, type RenderSettings, registerNotificationFilters } from './filters.ts';
import { sampleVariables } from './variables.ts';

export interface WhatsappTemplateRef {
  /** The approved template's name at Meta (lowercase letters, digits, underscores). */
  name: string;
  /** Its language code at Meta (en, es, pt_BR...). */
  language: string;
  /** Liquid sources of the body parameters {{1}}, {{2}}... in order. */
  parameters: string[];
}

export interface TemplateContent {
  subject: string | null;
  body: string;
  whatsappTemplate: WhatsappTemplateRef | null;
}

export interface TemplateProblem {
  /** 'subject' | 'body' | 'whatsappTemplate.name' | 'whatsappTemplate.parameters.0' ... */
  field: string;
  /** 1-based position in the field's text (1, 1 when the problem is not at one place). */
  line: number;
  column: number;
  /** What is wrong (liquidjs's message without its position, e.g. `undefined filter: shout`). */
  reason: string;
}

export interface RenderOptions {
  /** The recipient's language: dates, statuses and the e-mail layout. Default en. */
  language?: Locale;
  /** The recipient's IANA time zone for dates with a time of day. Default UTC. */
  timeZone?: string;
}

/** A template failed at send time (check() at save makes this rare: data unlike the samples). */
export class TemplateRenderError extends Error {
  readonly problem: TemplateProblem;
  constructor(problem: TemplateProblem) {
    super(`${problem.field} ${problem.line}:${problem.column}: ${problem.reason}`);
    this.name = 'TemplateRenderError';
    this.problem = problem;
  }
}

export const MAX_SOURCE_CHARS = 50_000;
export const MAX_SUBJECT_CHARS = 200;
const WHATSAPP_NAME = /^[a-z0-9_]{1,512}$/;

export interface TemplateEngineOptions {
  /** Longest one render may take (liquidjs renderLimit), ms. */
  renderLimitMs?: number;
  /** Allocation budget of one render (liquidjs memoryLimit: array items, string lengths). */
  memoryLimit?: number;
  /** Parsed templates kept (least recently used dropped first). */
  cacheSize?: number;
}

type Mode = 'text' | 'html';

function sandboxed(mode: Mode, o: Required<TemplateEngineOptions>): Liquid {
  const liquid = new Liquid({
    // An empty in-memory map: nothing is ever looked up on disk (and the tags that would are gone).
    templates: {},
    relativeReference: false,
    dynamicPartials: false,
    strictFilters: true,
    ownPropertyOnly: true,
    lenientIf: true,
    jsTruthy: false,
    outputEscape: mode === 'html' ? 'escape' : undefined,
    parseLimit: MAX_SOURCE_CHARS,
    renderLimit: o.renderLimitMs,
    memoryLimit: o.memoryLimit,
    cache: false,
    timezoneOffset: 0,
  });
  for (const tag of ['include', 'render', 'layout']) delete liquid.tags[tag];
  registerNotificationFilters(liquid);
  // `| raw` would skip the escaping; here it is a plain pass-through, so variables stay escaped.
  if (mode === 'html') liquid.registerFilter('raw', (v: unknown) => v);
  return liquid;
}

interface LiquidErrorLike {
  message: string;
  originalError?: { message: string };
  token?: { getPosition(): [number, number] };
}

function problemOf(field: string, error: unknown): TemplateProblem {
  const e = error as LiquidErrorLike;
  const [line, column] = typeof e?.token?.getPosition === 'function' ? e.token.getPosition() : [1, 1];
  const raw = e?.originalError?.message ?? String(e?.message ?? error);
  const reason = raw.split('\n')[0]?.replace(/, line:\d+, col:\d+$/, '') ?? raw;
  return { field, line, column, reason };
}

const collapseBlankLines = (text: string) =>
  text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/^\n+/, '')
    .trimEnd();

function oneLine(text: string, max: number): string {
  const line = text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  const chars = Array.from(line);
  return chars.length <= max
    ? line
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
}

/** WhatsApp refuses parameters with newlines, tabs or more than 4 spaces in a row, and empty ones. */
const whatsappParameter = (text: string) => text.replace(/\s+/g, ' ').trim() || '-';

export class TemplateEngine {
  private readonly liquids: Record<Mode, Liquid>;
  private readonly cache = new Map<string, Template[]>();
  private readonly cacheSize: number;

  constructor(options: TemplateEngineOptions = {}) {
    const o = { renderLimitMs: 200, memoryLimit: 10_000_000, cacheSize: 1000, ...options };
    this.cacheSize = o.cacheSize;
    this.liquids = { text: sandboxed('text', o), html: sandboxed('html', o) };
  }

  /** Every problem of a template for `eventType`, checked with that event's sample variables. */
  check(content: TemplateContent, eventType: string, language: Locale = 'en'): TemplateProblem[] {
    const problems: TemplateProblem[] = [];
    const scope = sampleVariables(eventType, language);
    const settings: RenderSettings = { language, timeZone: 'UTC' };
    const fields: { field: string; source: string; html?: boolean }[] = [];
    if (content.subject !== null) fields.push({ field: 'subject', source: content.subject });
    fields.push({ field: 'body', source: content.body, html: true });
    if (content.body.trim() === '') problems.push({ field: 'body', line: 1, column: 1, reason: 'empty' });
    if (content.whatsappTemplate) {
      const w = content.whatsappTemplate;
      if (!WHATSAPP_NAME.test(w.name))
        problems.push({
          field: 'whatsappTemplate.name',
          line: 1,
          column: 1,
          reason: 'not a WhatsApp template name (lowercase letters, digits and underscores)',
        });
      if (!/^[a-z]{2,3}(_[A-Z]{2})?$/.test(w.language))
        problems.push({
          field: 'whatsappTemplate.language',
          line: 1,
          column: 1,
          reason: 'not a WhatsApp language code (en, es, pt_BR...)',
        });
      w.parameters.forEach((source, i) => {
        fields.push({ field: `whatsappTemplate.parameters.${i}`, source });
      });
    }
    for (const { field, source, html } of fields) {
      if (source.length > MAX_SOURCE_CHARS) {
        problems.push({ field, line: 1, column: 1, reason: `longer than ${MAX_SOURCE_CHARS} characters` });
        continue;
      }
      for (const mode of html ? (['text', 'html'] as const) : (['text'] as const)) {
        let templates: Template[];
        try {
          templates = this.parsed(mode, source);
        } catch (error) {
          problems.push(problemOf(field, error));
          break; // the same source fails the same way in the other instance
        }
        try {
          // Strict here: a misspelt variable is refused at save rather than sent as a blank.
          this.liquids[mode].renderSync(templates, scope, {
            strictVariables: true,
            globals: { [RENDER_SETTINGS]: settings },
          });
        } catch (error) {
          problems.push(problemOf(field, error));
          break;
        }
      }
    }
    return problems;
  }

  /** The message for one recipient on `channel`. Throws TemplateRenderError when a field fails. */
  async render(
    content: TemplateContent,
    variables: Record<string, unknown>,
    channel: DeliveryChannel,
    options: RenderOptions = {},
  ): Promise<RenderedMessage> {
    const settings: RenderSettings = {
      language: options.language ?? 'en',
      timeZone: options.timeZone ?? 'UTC',
    };
    const run = async (mode: Mode, field: string, source: string): Promise<string> => {
      try {
        const out = await this.liquids[mode].render(this.parsed(mode, source), variables, {
          globals: { [RENDER_SETTINGS]: settings },
        });
        return collapseBlankLines(String(out));
      } catch (error) {
        throw new TemplateRenderError(problemOf(field, error));
      }
    };
    const subject =
      content.subject === null
        ? null
        : oneLine(await run('text', 'subject', content.subject), MAX_SUBJECT_CHARS);
    const text = await run('text', 'body', content.body);
    let html: string | null = null;
    if (channel === 'email') {
      const unsubscribeUrl = typeof variables.unsubscribeUrl === 'string' ? variables.unsubscribeUrl : null;
      html = emailLayout({
        language: settings.language,
        subject,
        contentHtml: textToHtml(await run('html', 'body', content.body)),
        unsubscribeUrl,
      });
    }
    let whatsappTemplate: RenderedMessage['whatsappTemplate'] = null;
    if (channel === 'whatsapp' && content.whatsappTemplate) {
      const w = content.whatsappTemplate;
      const parameters: string[] = [];
      for (const [i, source] of w.parameters.entries())
        parameters.push(whatsappParameter(await run('text', `whatsappTemplate.parameters.${i}`, source)));
      whatsappTemplate = { name: w.name, language: w.language, parameters };
    }
    return { subject, text, html, whatsappTemplate };
  }

  /** Parsed once per source and mode; the least recently used are dropped past cacheSize. */
  private parsed(mode: Mode, source: string): Template[] {
    // keyed by a digest: a thousand 50 KB sources would otherwise be kept twice (key and parse)
    const key = `${mode}:${createHash('sha256').update(source).digest('base64')}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const templates = this.liquids[mode].parse(source);
    this.cache.set(key, templates);
    if (this.cache.size > this.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return templates;
  }
}
