// The one HTTP client of the web app: openapi-fetch typed by schema.d.ts, which is generated from
// the server's OpenAPI document (npm run api-client), so a call that no longer matches the API
// fails `npm run check`. The browser authenticates with the session cookie; writes carry the CSRF
// token the server set in a readable cookie at login.
// Every request says the UI's language (Accept-Language), so problem answers come back in it.
import i18n from 'i18next';
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];

export interface FieldError {
  rule: string;
  message: string;
}

/** An API answer that was not a success, with its problem document (RFC 9457). */
export class ApiProblem extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(status: number, problem: Problem | undefined) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? { status, title: `HTTP ${status}` };
  }
  /** The error code, e.g. `invalid-transition` (from `urn:bul:error:<code>`). */
  get code(): string {
    return (this.problem.type ?? '').replace(/^urn:bul:error:/, '');
  }
  /** The first rule each field broke, keyed by the field's dotted path (e.g. `organization.subdomain`). */
  get fieldErrors(): Record<string, FieldError> {
    const out: Record<string, FieldError> = {};
    for (const e of this.problem.errors ?? []) {
      if (e.field && !out[e.field]) out[e.field] = { rule: e.rule ?? '', message: e.message ?? '' };
    }
    return out;
  }
}

/** Whether this browser holds a session's CSRF cookie (set at sign-in, cleared at sign-out). */
export function mayHaveSession(): boolean {
  return readCookie('bul_csrf') !== null;
}

function readCookie(name: string): string | null {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const token = readCookie('bul_csrf');
      if (token) request.headers.set('x-csrf-token', token);
    }
    return request;
  },
};

/** The UI's current language on every request: the server answers problems in it. */
const language: Middleware = {
  onRequest({ request }) {
    const lng = i18n.resolvedLanguage ?? i18n.language;
    if (lng) request.headers.set('accept-language', lng);
    return request;
  },
};

/** Fired when the server says the session is gone, so the app can return to the login page. */
export const SESSION_LOST_EVENT = 'bul:session-lost';

const sessionWatch: Middleware = {
  onResponse({ request, response }) {
    if (response.status === 401 && !new URL(request.url).pathname.startsWith('/api/v1/auth/')) {
      window.dispatchEvent(new Event(SESSION_LOST_EVENT));
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use(language, csrf, sessionWatch);

/** Unwraps an openapi-fetch result: the data, or an ApiProblem. */
export async function call<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await pending;
  if (!response.ok) throw new ApiProblem(response.status, error as Problem | undefined);
  return data as T;
}

/** The If-Match header for a resource at `version` (optimistic concurrency). */
export function ifMatch(version: number): { 'If-Match': string } {
  return { 'If-Match': `"${version}"` };
}
