// `bul migrate`: apply pending migrations and exit (start does this too).
import { loadConfig } from '../config.ts';
import { configuredLogger } from '../platform/observability/logger.ts';
import { prepareDatabase } from '../runtime.ts';

export async function migrateCommand(_args: string[]): Promise<number> {
  const config = loadConfig();
  const log = configuredLogger(config);
  const { location, appliedMigrations } = await prepareDatabase(config, log, { adopt: true });
  await location.close();
  process.stderr.write(
    appliedMigrations ? `applied ${appliedMigrations} migration(s)\n` : 'the database is up to date\n',
  );
  return 0;
}
