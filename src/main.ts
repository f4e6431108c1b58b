// `bul` — the command line: start the server, run migrations, administer, check the audit trail.

import { adminCommand } from './cli/admin.ts';
import { auditCommand } from './cli/audit.ts';
import { backupCommand } from './cli/backup.ts';
import { migrateCommand } from './cli/migrate.ts';
import { seedDemoCommand } from './cli/seed-demo.ts';
import { startCommand } from './cli/start.ts';
import { statusCommand } from './cli/status.ts';
import { ConfigError } from './config.ts';

const USAGE = `Usage: bul <command> [options]

Commands:
  start [--role all|api|worker] [--port N] [--host H]
                         Run BUL (default role: all = API + web + workers + scheduler)
  migrate                Apply pending database migrations and exit
  admin create --email E --name N [--password-stdin]
                         Create a platform super admin (or promote an existing account)
  status [--url URL]     Ask a running instance whether it is ready (exit 0 if so)
  audit verify [--org ID]
                         Check the audit hash chains; exit 1 naming the first bad event
  backup run [--type T] | list [--json] | verify ID | restore ID [--tables a,b | --org ID] [--dry-run] [--yes]
                         Take, list, verify and restore backups (docs/backups.md)
  seed-demo [--size small|large] [--subdomain S] [--password P] [--reset]
                         Create the "Demo Company" organization full of sample data

Configuration comes from environment variables (see .env.example); \`bul <command> --help\` for more.`;

const commands: Record<string, (args: string[]) => Promise<number>> = {
  start: startCommand,
  migrate: migrateCommand,
  admin: adminCommand,
  status: statusCommand,
  audit: auditCommand,
  backup: backupCommand,
  'seed-demo': seedDemoCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    const { VERSION } = await import('./app.ts');
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`bul: unknown command "${name}"\n\n${USAGE}\n`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const problem of err.problems) process.stderr.write(`bul: invalid configuration: ${problem}\n`);
      return 78; // EX_CONFIG
    }
    if (
      (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      (err as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'
    ) {
      process.stderr.write(`bul ${name}: ${(err as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`bul ${name}: ${(err as Error).message}\n`);
    return 1;
  }
}
