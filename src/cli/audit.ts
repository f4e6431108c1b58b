// `bul audit verify [--org ID]`: walk the hash chains on the owner connection.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../config.ts';
import { verifyChains } from '../modules/audit/service.ts';
import { isUuid } from '../platform/db/ids.ts';
import { configuredLogger } from '../platform/observability/logger.ts';
import { prepareDatabase } from '../runtime.ts';

export async function auditCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'verify') {
    process.stderr.write('usage: bul audit verify [--org ID]\n');
    return 2;
  }
  const { values } = parseArgs({ args: rest, options: { org: { type: 'string' } }, strict: true });
  if (values.org !== undefined && !isUuid(values.org)) {
    process.stderr.write('bul audit verify: --org must be an organization id (UUID)\n');
    return 2;
  }
  const config = loadConfig();
  const log = configuredLogger(config, config.logLevel === 'info' ? 'warn' : config.logLevel);
  const { location } = await prepareDatabase(config, log, { adopt: true });
  const owner = new pg.Client({ connectionString: location.ownerUrl });
  await owner.connect();
  try {
    const results = await verifyChains(owner, values.org);
    let bad = 0;
    for (const { orgId, result } of results) {
      if (result.ok) process.stdout.write(`ok   ${orgId}: ${result.checked} events, chain intact\n`);
      else {
        bad++;
        process.stdout.write(
          `FAIL ${orgId}: ${result.problem}${result.bad_id ? ` (event id ${result.bad_id}, seq ${result.bad_seq})` : ''}; ${result.checked} events checked\n`,
        );
      }
    }
    if (results.length === 0) process.stdout.write('no audit events yet\n');
    return bad > 0 ? 1 : 0;
  } finally {
    await owner.end();
    await location.close();
  }
}
