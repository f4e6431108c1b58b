// Cache keys and tags are never strings a caller writes: they are built from a scope — one
// organization (`{ orgId }`) or, said explicitly, the platform (`PLATFORM`) — and the scope is part
// of every stored key and every tag. Invalidating a tag of organization A therefore names only A's
// tag: B's entries carry B's tag, even under the same tag name, and platform entries carry the
// platform's.
import { isUuid } from '../db/ids.ts';

/** Entries about the platform as a whole (every organization's figures, platform settings). */
export const PLATFORM = Object.freeze({ platform: true as const });
export type CacheScope = { readonly orgId: string } | typeof PLATFORM;

/** Names of families, tags and key parts: short, printable, no separators of ours. */
const NAME = /^[a-z][a-z0-9_.-]{0,63}$/;

function scopeText(scope: CacheScope): string {
  if ('platform' in scope) {
    if (scope !== PLATFORM && scope.platform !== true) throw new Error('bad cache scope');
    return 'p';
  }
  if (typeof scope.orgId !== 'string' || !isUuid(scope.orgId))
    throw new Error(`cache scope needs an organization id, got ${String(scope.orgId)}`);
  return `o:${scope.orgId}`;
}

function checkName(what: string, name: string): void {
  if (!NAME.test(name)) throw new Error(`bad cache ${what} name ${JSON.stringify(name)}`);
}

/** A tag of one scope. */
export interface CacheTag {
  readonly scope: CacheScope;
  readonly name: string;
  /** `o:<orgId>:<name>` or `p:<name>`: what the stores keep versions under. */
  readonly id: string;
}

/** `*` is the tag every key of the scope carries (all of the scope's entries). */
export function cacheTag(scope: CacheScope, name: string): CacheTag {
  if (name !== '*') checkName('tag', name);
  return Object.freeze({ scope, name, id: `${scopeText(scope)}:${name}` });
}

/**
 * The tag every key carries, whatever its scope: invalidating it drops every entry of the
 * installation at once (a restore of the whole installation or of chosen tables). No caller can
 * name it through a scope: only code that imports it.
 */
export const EVERY_SCOPE: CacheTag = Object.freeze({ scope: PLATFORM, name: '*', id: 'all:*' });

/** What a cached value is stored under: its family (metrics, circuit breaker), scope and parts. */
export interface CacheKey {
  readonly scope: CacheScope;
  readonly family: string;
  /** `<family>|<scope>|<parts…>`, unique per value. */
  readonly id: string;
  /**
   * Every key carries its scope's `*` tag (invalidating it drops all of the scope's entries) and
   * EVERY_SCOPE.
   */
  readonly scopeTag: CacheTag;
}

/** `parts` are the value's arguments (ids, query fields); each is JSON-encoded, so no two differ in text only. */
export function cacheKey(scope: CacheScope, family: string, ...parts: unknown[]): CacheKey {
  checkName('family', family);
  const s = scopeText(scope);
  return Object.freeze({
    scope,
    family,
    id: `${family}|${s}|${JSON.stringify(parts)}`,
    scopeTag: Object.freeze({ scope, name: '*', id: `${s}:*` }),
  });
}

/** Whether a tag may be attached to a key: only a tag of the key's own scope. */
export function sameScope(a: CacheScope, b: CacheScope): boolean {
  return scopeText(a) === scopeText(b);
}

/** The scope text of a tag id (`o:<uuid>` or `p`), for messages and checks. */
export function tagIdScope(id: string): string {
  return id.startsWith('p:') ? 'p' : id.slice(0, 2 + 36);
}

/** A tag id received from another process: well formed, or null. */
export function parseTagId(id: unknown): string | null {
  if (typeof id !== 'string') return null;
  if (id === EVERY_SCOPE.id) return id;
  const m = /^(?:p|o:([0-9a-f-]{36})):(\*|[a-z][a-z0-9_.-]{0,63})$/.exec(id);
  if (!m) return null;
  if (m[1] && !isUuid(m[1])) return null;
  return id;
}
