// Request validation with two AJV instances: bodies are validated strictly (no type coercion, no
// silent removal of unknown fields: both are errors), while query strings, path params and headers,
// which arrive as text, are coerced to the declared types.
import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import sjson from 'secure-json-parse';
import { AppError, type FieldError, fieldError } from '../errors.ts';
import type { Msg } from '../i18n/message.ts';
import { HTTP, RULE } from './messages.ts';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const shared: Options = {
  allErrors: true,
  removeAdditional: false,
  useDefaults: true,
  strict: false, // TypeBox adds annotations AJV does not know (e.g. `~kind`, hidden but present)
};

/**
 * `x-trim: true` on a string schema (common-schemas.ts `Name`) removes leading and trailing white
 * space before the string's other rules run, so a name of spaces only meets `minLength: 1` empty,
 * and what is stored has no stray spaces.
 */
function addTrim(ajv: Ajv): void {
  ajv.addKeyword({
    keyword: 'x-trim',
    type: 'string',
    schemaType: 'boolean',
    modifying: true,
    before: 'maxLength',
    validate: (
      on: boolean,
      data: string,
      _schema: unknown,
      cxt?: { parentData: unknown; parentDataProperty: string | number },
    ) => {
      if (on && cxt?.parentData && typeof cxt.parentData === 'object') {
        (cxt.parentData as Record<string | number, unknown>)[cxt.parentDataProperty] = data.trim();
      }
      return true;
    },
  });
}

function build(options: Options): Ajv {
  const ajv = new Ajv({ ...shared, ...options });
  addFormats(ajv);
  addTrim(ajv);
  return ajv;
}

const bodyAjv = build({ coerceTypes: false });
const textAjv = build({ coerceTypes: 'array' });

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object) as ReturnType<
    FastifySchemaCompiler<unknown>
  >;

type Part = FieldError['in'];
const PARTS: Record<string, Part> = {
  body: 'body',
  querystring: 'query',
  params: 'params',
  headers: 'headers',
};

function pathToField(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

const join = (base: string, name: string) => (base ? `${base}.${name}` : name);

const FORMAT_MESSAGES: Record<string, (typeof RULE)[keyof typeof RULE]> = {
  uuid: RULE.formatUuid,
  email: RULE.formatEmail,
  date: RULE.formatDate,
  'date-time': RULE.formatDateTime,
  uri: RULE.formatUri,
};

function message(e: ErrorObject): Msg {
  const p = e.params as Record<string, unknown>;
  const limit = Number(p.limit);
  switch (e.keyword) {
    case 'required':
      return RULE.required();
    case 'additionalProperties':
      return RULE.additionalProperties();
    case 'type':
      return RULE.type({ type: { list: String(p.type).split(','), or: true } });
    case 'maxLength':
      return RULE.maxLength({ limit });
    case 'minLength':
      return limit === 1 ? RULE.notEmpty() : RULE.minLength({ limit });
    case 'format': {
      const format = String(p.format);
      return FORMAT_MESSAGES[format]?.() ?? RULE.format({ format });
    }
    case 'enum':
      return RULE.enum({ values: (p.allowedValues as unknown[]).join(', ') });
    case 'maxItems':
      return RULE.maxItems({ limit });
    case 'minItems':
      return RULE.minItems({ limit });
    case 'uniqueItems':
      return RULE.uniqueItems();
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return RULE[e.keyword]({ limit });
    case 'pattern':
      return RULE.pattern();
    case 'anyOf':
    case 'oneOf':
      return RULE.union();
    default:
      return RULE.invalid();
  }
}

function describe(e: ErrorObject): { field: string; rule: string; msg: Msg } {
  const base = pathToField(e.instancePath);
  const p = e.params as Record<string, unknown>;
  const field =
    e.keyword === 'required'
      ? join(base, String(p.missingProperty))
      : e.keyword === 'additionalProperties'
        ? join(base, String(p.additionalProperty))
        : base;
  return { field, rule: e.keyword, msg: message(e) };
}

/** A branch error that only says "not null": noise when the value was not meant to be null. */
const isNullBranch = (e: ErrorObject) =>
  e.keyword === 'type' && (e.params as { type?: unknown }).type === 'null';

/**
 * For a nullable field (anyOf [schema, null]) that failed, the errors of its one non-null branch
 * say more than "must match a schema in anyOf"; for real unions keep the union error.
 */
function explainUnions(errors: ErrorObject[]): ErrorObject[] {
  const out: ErrorObject[] = [];
  const replaced = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'anyOf') continue;
    const prefix = `${e.schemaPath}/`;
    const inner = errors.filter((b) => b.schemaPath.startsWith(prefix) && !isNullBranch(b));
    const branches = new Set(inner.map((b) => b.schemaPath.slice(prefix.length).split('/')[0]));
    const hasNullBranch = errors.some((b) => b.schemaPath.startsWith(prefix) && isNullBranch(b));
    if (hasNullBranch && branches.size === 1) replaced.add(e.schemaPath);
  }
  for (const e of errors) {
    if (e.keyword === 'anyOf' && replaced.has(e.schemaPath)) continue;
    const union = [...replaced].find((u) => e.schemaPath.startsWith(`${u}/`));
    if (union && isNullBranch(e)) continue;
    out.push(e);
  }
  return out;
}

/** AJV errors → `errors[]` of the problem document, one per field and rule. */
export function toFieldErrors(allErrors: ErrorObject[], context: string | undefined): FieldError[] {
  const errors = explainUnions(allErrors);
  const where = PARTS[context ?? 'body'] ?? 'body';
  const seen = new Set<string>();
  const out: FieldError[] = [];
  // Errors inside a failed anyOf/oneOf branch are noise once the union itself is reported.
  const unions = errors
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .map((e) => e.schemaPath.replace(/\/(anyOf|oneOf)$/, ''));
  for (const e of errors) {
    if (
      e.keyword !== 'anyOf' &&
      e.keyword !== 'oneOf' &&
      unions.some((u) => e.schemaPath.startsWith(`${u}/anyOf/`) || e.schemaPath.startsWith(`${u}/oneOf/`))
    )
      continue;
    const d = describe(e);
    const field = d.field || '(root)';
    const key = `${field}|${d.rule}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(fieldError(field, d.rule, d.msg, where));
  }
  return out;
}

/** The first string, at any depth, holding a NUL character (PostgreSQL text cannot store it). */
function findNul(root: unknown): string | null {
  // Iterative: a body may nest thousands of levels deep.
  const stack: [unknown, string][] = [[root, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path || '(root)';
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => {
        stack.push([v, `${path}[${i}]`]);
      });
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) stack.push([v, path ? `${path}.${k}` : k]);
    }
  }
  return null;
}

/**
 * Request bodies are JSON only: `text/plain` gets 415 like any other type; an empty body counts
 * as no body (clients often send the JSON content type on body-less POSTs); `__proto__` and
 * `constructor.prototype` keys are refused; a NUL character anywhere is a 400 naming its field.
 */
export function registerBodyParsing(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (err) {
      const forbidden = /prototype/.test((err as Error).message);
      done(
        forbidden
          ? new AppError('validation-failed', HTTP.forbiddenKey(), {
              errors: [fieldError('(root)', 'prototypePollution', HTTP.forbiddenKeyField())],
            })
          : new AppError('malformed-json', HTTP.malformedJson()),
      );
    }
  });
  app.addHook('preValidation', async (request) => {
    const parts = [
      ['params', request.params],
      ['query', request.query],
      ['body', request.body],
    ] as const;
    for (const [part, value] of parts) {
      const field = findNul(value);
      if (field) {
        throw new AppError('validation-failed', HTTP.nul({ field }), {
          errors: [fieldError(field, 'noNul', HTTP.nulField(), part)],
        });
      }
    }
  });
}

const compiledForCheck = new WeakMap<object, ReturnType<Ajv['compile']>>();

/**
 * Checks a value against a request-body schema outside a request (e.g. each row of an import),
 * with the same rules and error wording as the API; [] when it is valid.
 */
export function schemaErrors(schema: object, value: unknown): FieldError[] {
  let validate = compiledForCheck.get(schema);
  if (!validate) {
    validate = bodyAjv.compile(schema);
    compiledForCheck.set(schema, validate);
  }
  return validate(value) ? [] : toFieldErrors(validate.errors ?? [], 'body');
}
