import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError, loadConfig, SETTINGS } from '../src/config.ts';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('has defaults that work on a laptop', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.host).toBe('127.0.0.1');
    expect(c.databaseUrl).toBeNull();
    expect(c.redisUrl).toBeNull();
    expect(c.rateLimitStore).toBe('memory');
    expect(c.accessTokenTtl).toBe(900);
    expect(c.passwordMinLength).toBe(12);
    expect(c.publicUrl).toBe('http://localhost:3000');
    expect(path.isAbsolute(c.dataDir)).toBe(true);
  });

  it('chooses the rate-limit store from the deployment', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://h/db' }).rateLimitStore).toBe('postgres');
    expect(loadConfig({ DATABASE_URL: 'postgres://h/db', REDIS_URL: 'redis://h:6379' }).rateLimitStore).toBe(
      'redis',
    );
    expect(loadConfig({ RATE_LIMIT_STORE: 'memory', REDIS_URL: 'redis://h:6379' }).rateLimitStore).toBe(
      'memory',
    );
  });

  it.each([
    ['PORT', '99999', /PORT: must be between 0 and 65535/],
    ['PORT', 'eighty', /PORT: must be a whole number/],
    [
      'DATABASE_URL',
      'mysql://x/y',
      /DATABASE_URL: must be a URL starting with postgres:\/\/ or postgresql:\/\//,
    ],
    ['REDIS_URL', 'not a url', /REDIS_URL: must be a URL/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL: must be one of fatal, error/],
    ['ACCESS_TOKEN_TTL', '1h', /ACCESS_TOKEN_TTL: must be between 30s and 900s/],
    ['ACCESS_TOKEN_TTL', 'soon', /ACCESS_TOKEN_TTL: must be a duration/],
    ['BODY_LIMIT', '1tb', /BODY_LIMIT: must be a size/],
    ['REGISTRATION_ENABLED', 'maybe', /REGISTRATION_ENABLED: must be true or false/],
    ['TRUST_PROXY', '10.0.0.0/8,banana', /TRUST_PROXY: .*bad: banana/],
    ['IP_DENYLIST', '300.1.1.1', /IP_DENYLIST: /],
    ['RATE_LIMIT_SYNC_INTERVAL_MS', '5', /RATE_LIMIT_SYNC_INTERVAL_MS: must be between 10 and 10000/],
    ['PASSWORD_MIN_LENGTH', '8', /PASSWORD_MIN_LENGTH: must be between 12 and 128/],
    ['DATABASE_APP_ROLE', 'Robert"); DROP', /DATABASE_APP_ROLE: must be a lower-case SQL identifier/],
    ['BUL_MASTER_KEY', 'short', /BUL_MASTER_KEY: must be 32 bytes, base64 \(got a hidden value\)/],
  ])('rejects %s=%s with one line naming the variable and the rule', (name, value, pattern) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(pattern);
    expect(problems[0]!.startsWith(`${name}`)).toBe(true);
  });

  it('reports every problem together', () => {
    const problems = problemsOf({ PORT: '-1', LOG_LEVEL: 'x', LOCKOUT_BASE: '2h', LOCKOUT_MAX: '1h' });
    expect(problems.map((p) => p.split(':')[0])).toEqual(['PORT', 'LOG_LEVEL', 'LOCKOUT_MAX']);
  });

  it('never echoes a secret value in an error', () => {
    const [problem] = problemsOf({ DATABASE_URL: 'mysql://user:hunter2@db/x' });
    expect(problem).not.toContain('hunter2');
  });

  it('reads secrets from NAME_FILE, and refuses both forms at once', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bul-config-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'token');
    writeFileSync(file, 's3cret-token\n');
    expect(loadConfig({ METRICS_TOKEN_FILE: file }).metricsToken).toBe('s3cret-token');
    expect(problemsOf({ METRICS_TOKEN_FILE: file, METRICS_TOKEN: 'x' })).toEqual([
      'METRICS_TOKEN: set either METRICS_TOKEN or METRICS_TOKEN_FILE, not both',
    ]);
    expect(problemsOf({ METRICS_TOKEN_FILE: path.join(dir, 'missing') })[0]).toMatch(
      /^METRICS_TOKEN_FILE: cannot read .* \(ENOENT\)$/,
    );
  });

  it('lets command-line flags override the environment', () => {
    expect(loadConfig({ PORT: '4000', BUL_ROLE: 'api' }, { PORT: '5000', BUL_ROLE: 'worker' })).toMatchObject(
      { port: 5000, role: 'worker' },
    );
    expect(problemsOf({ BUL_ROLE: 'boss' })[0]).toMatch(/BUL_ROLE: must be one of all, api, worker/);
  });

  it('has an environment variable, a description and a valid default for every setting', () => {
    for (const s of SETTINGS) {
      expect(s.env).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(s.description.length).toBeGreaterThan(10);
    }
    expect(() => loadConfig({})).not.toThrow();
  });
});
