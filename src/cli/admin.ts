// `bul admin create`: create a platform super admin, or promote an existing account. Runs on the
// owner connection because the application role cannot grant the super-admin flag at all.

import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../config.ts';
import { passwordProblem } from '../modules/identity/password-policy.ts';
import { grantSuperAdmin } from '../modules/identity/super-admin.ts';
import { hashPassword } from '../platform/crypto/passwords.ts';
import { newId } from '../platform/db/ids.ts';
import { render } from '../platform/i18n/message.ts';
import { configuredLogger } from '../platform/observability/logger.ts';
import { prepareDatabase } from '../runtime.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export async function adminCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'create') {
    process.stderr.write('usage: bul admin create --email E --name N [--password-stdin]\n');
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: { email: { type: 'string' }, name: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
    strict: true,
  });
  if (!values.email || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(values.email)) {
    process.stderr.write('bul admin create: --email must be an e-mail address\n');
    return 2;
  }
  const config = loadConfig();
  let password: string | null = null;
  let generated = false;
  if (values['password-stdin']) password = await readStdin();
  else if (process.env.BUL_ADMIN_PASSWORD) password = process.env.BUL_ADMIN_PASSWORD;
  if (password !== null) {
    const problem = passwordProblem(password, config.passwordMinLength, [values.email, values.name ?? '']);
    if (problem) {
      process.stderr.write(`bul admin create: the password ${render(problem)}\n`);
      return 2;
    }
  }
  const log = configuredLogger(config, config.logLevel === 'info' ? 'warn' : config.logLevel);
  const { location } = await prepareDatabase(config, log, { adopt: true });
  const owner = new pg.Client({ connectionString: location.ownerUrl });
  await owner.connect();
  try {
    const exists = await owner.query('SELECT 1 FROM users WHERE lower(email) = lower($1)', [values.email]);
    if (!exists.rowCount && password === null) {
      password = randomBytes(18).toString('base64url');
      generated = true;
    }
    const result = await grantSuperAdmin(owner, {
      id: newId(),
      email: values.email,
      name: values.name ?? values.email.split('@')[0]!,
      passwordHash: password === null ? null : await hashPassword(password),
    });
    process.stdout.write(
      `${result.created ? 'created' : 'promoted'} super admin ${values.email} (${result.userId})\n`,
    );
    if (generated) process.stdout.write(`password (shown once, change it after logging in): ${password}\n`);
    return 0;
  } finally {
    await owner.end();
    await location.close();
  }
}
