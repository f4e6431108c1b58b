// `bul start`: run BUL until SIGINT/SIGTERM, then shut down gracefully.
import { parseArgs } from 'node:util';
import closeWithGrace from 'close-with-grace';
import pino from 'pino';
import { loadConfig } from '../config.ts';
import { loggerOptions } from '../platform/observability/logger.ts';
import { startBul } from '../runtime.ts';

export async function startCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      role: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('bul start [--role all|api|worker] [--port N] [--host H]\n');
    return 0;
  }
  const config = loadConfig(process.env, {
    ...(values.role ? { BUL_ROLE: values.role } : {}),
    ...(values.port ? { PORT: values.port } : {}),
    ...(values.host ? { HOST: values.host } : {}),
  });
  const log = pino(loggerOptions(config.logLevel));
  const running = await startBul(config, log);
  if (running.url) {
    log.info(
      { url: running.url, role: config.role },
      `BUL is ready at ${running.url} (API docs: ${running.url}/docs)`,
    );
    process.stderr.write(
      `\n  BUL is running at ${running.url}\n  API docs:   ${running.url}/docs\n  Sign up:    POST ${running.url}/api/v1/auth/register\n  Super admin: npx bul admin create --email you@example.com --name "Your Name"\n\n`,
    );
  } else {
    log.info({ role: config.role }, 'BUL worker is running');
  }
  await new Promise<void>((resolve) => {
    closeWithGrace({ delay: config.shutdownTimeout * 1000 }, async ({ signal, err }) => {
      if (err) log.error({ err }, 'shutting down after an error');
      else log.info({ signal }, 'shutting down');
      await running.stop();
      log.info('stopped');
      resolve();
    });
  });
  return 0;
}
