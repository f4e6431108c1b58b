// `bul seed-demo --size small|large [--subdomain S] [--password P] [--reset]`: an organization full
// of plausible data for trying BUL out, for tests and for benchmarks (src/modules/system/demo-data.ts).
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../config.ts';
import { passwordProblem } from '../modules/identity/password-policy.ts';
import {
  DEMO_ORGANIZATION_NAME,
  DEMO_SIZES,
  DemoExistsError,
  demoAdminEmail,
  isDemoSize,
  seedDemo,
} from '../modules/system/demo-data.ts';
import { createAppPool } from '../platform/db/database.ts';
import { AppError } from '../platform/errors.ts';
import { render } from '../platform/i18n/message.ts';
import { configuredLogger } from '../platform/observability/logger.ts';
import { prepareDatabase } from '../runtime.ts';
import { composeBul } from '../services.ts';

const USAGE = `usage: bul seed-demo [--size small|large] [--subdomain S] [--password P] [--reset]

Creates the organization "${DEMO_ORGANIZATION_NAME}" (subdomain "demo" unless --subdomain) with an org admin
admin@<subdomain>.bul.local and a year of data. Every demo account has the same password: --password,
or a random one printed once. --reset first deletes an existing organization with that subdomain.
  small: ${describe('small')}
  large: ${describe('large')}`;

function describe(size: 'small' | 'large'): string {
  const v = DEMO_SIZES[size];
  const n = (x: number) => x.toLocaleString('en');
  return `${n(v.users)} users, ${n(v.clients)} clients, ${n(v.projects)} projects, ${n(v.tasks)} tasks, ${n(v.auditEvents)} audit events`;
}

const SUBDOMAIN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function usageError(message: string): number {
  process.stderr.write(`bul seed-demo: ${message}\n`);
  return 2;
}

export async function seedDemoCommand(args: string[]): Promise<number> {
  let values: { size?: string; subdomain?: string; password?: string; reset?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        size: { type: 'string' },
        subdomain: { type: 'string' },
        password: { type: 'string' },
        reset: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return usageError(`${(err as Error).message} (bul seed-demo --help)`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const size = values.size ?? 'small';
  if (!isDemoSize(size)) return usageError(`--size must be small or large, not "${size}"`);
  const subdomain = values.subdomain ?? 'demo';
  if (!SUBDOMAIN.test(subdomain)) {
    return usageError(
      `--subdomain must be 1–63 lowercase letters, digits and inner hyphens (like "demo"), not "${subdomain}"`,
    );
  }
  const config = loadConfig();
  const adminEmail = demoAdminEmail(subdomain);
  const password = values.password ?? randomBytes(18).toString('base64url');
  if (values.password !== undefined) {
    const problem = passwordProblem(values.password, config.passwordMinLength, [adminEmail, 'Demo Admin']);
    if (problem) return usageError(`the password ${render(problem)}`);
  }

  const log = configuredLogger(config, config.logLevel === 'info' ? 'warn' : config.logLevel);
  const { location, masterKey } = await prepareDatabase(config, log, { adopt: true });
  const owner = new pg.Client({ connectionString: location.ownerUrl, application_name: 'bul-seed-demo' });
  const appPool = createAppPool(location.appUrl, 2, (err) =>
    log.error({ err }, 'idle database connection failed'),
  );
  try {
    await owner.connect();
    // The services sign-up uses, on the application role (RLS and all), as in a real sign-up.
    // Seeding is an administrator's act, so it works even where self-service sign-up is closed.
    // Lockouts counted in memory: this command signs nobody in. No background loop runs: readers
    // of the chain seal it themselves.
    const seedConfig = { ...config, registrationEnabled: true, rateLimitStore: 'memory' as const };
    const { services } = await composeBul({ config: seedConfig, pool: appPool, masterKey, redis: null, log });
    const { identity } = services;

    process.stderr.write(`seeding the ${size} demo organization "${subdomain}" (${describe(size)})\n`);
    const result = await seedDemo(
      {
        owner,
        identity,
        progress: (step, seconds) =>
          process.stderr.write(`  ${step.padEnd(34, '.')} ${seconds.toFixed(1)} s\n`),
      },
      { size, subdomain, password, reset: values.reset ?? false },
    );

    const out: string[] = [];
    out.push(
      `${result.replaced ? 'replaced' : 'created'} the demo organization "${DEMO_ORGANIZATION_NAME}" (${result.subdomain}, ${result.orgId}) in ${result.seconds.toFixed(1)} s`,
    );
    const width = Math.max(...Object.keys(result.counts).map((k) => k.length));
    for (const [table, count] of Object.entries(result.counts)) {
      if (table === 'memberships') continue; // = users
      out.push(`  ${table.padEnd(width)} ${count.toLocaleString('en').padStart(9)}`);
    }
    out.push(`sign in at ${config.publicUrl} as ${result.adminEmail} (organization "${result.subdomain}")`);
    out.push(
      values.password === undefined
        ? `password (shown once; every demo account uses it): ${password}`
        : 'password: the one given with --password (every demo account uses it)',
    );
    out.push(
      `the other accounts are <first>.<last>@${subdomain}.bul.local with the roles manager, developer, analyst, user and viewer`,
    );
    process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  } catch (err) {
    if (err instanceof DemoExistsError) {
      process.stderr.write(`bul seed-demo: ${err.message}\n`);
      return 1;
    }
    if (err instanceof AppError) {
      const detail = err.errors?.map((e) => `${e.field} ${e.message}`).join('; ');
      process.stderr.write(`bul seed-demo: ${err.message}${detail ? ` (${detail})` : ''}\n`);
      return err.code === 'validation-failed' ? 2 : 1;
    }
    throw err;
  } finally {
    await owner.end().catch(() => {});
    await appPool.end();
    await location.close();
  }
}
