// `bul start`: run BUL until SIGINT/SIGTERM, then shut down gracefully.
import { parseArgs } from 'node:util';
import closeWithGrace from 'close-with-grace';
import { VERSION } from '../app.ts';
import { type Config, loadConfig } from '../config.ts';
import { webAppBuilt } from '../platform/http/web-app.ts';
import { configuredLogger, resolveLogFormat } from '../platform/observability/logger.ts';
import { reportError, startErrorReports, stopTelemetry } from '../platform/observability/telemetry.ts';
import { startBul } from '../runtime.ts';

/** The web app's sign-up and sign-in pages (routes of web/src/app/App.tsx). */
export const SIGN_UP_PATH = '/signup';
export const SIGN_IN_PATH = '/login';

/**
 * What a person needs once BUL is up: where to sign up in the browser, the API docs, how to make a
 * super admin, where the data lives. Printed to stderr after the start-up log lines.
 */
export function startBanner(opts: {
  url: string;
  config: Pick<Config, 'registrationEnabled' | 'dataDir' | 'databaseUrl' | 'logLevel' | 'logFormat'>;
  webApp: boolean;
  embeddedDataPath: string | null;
}): string {
  const { url, config } = opts;
  const rows: [string, string][] = [];
  if (!opts.webApp) {
    rows.push(['Web app', 'not built: run `npm run build`, then start again']);
    if (config.registrationEnabled)
      rows.push(['Sign up', `POST ${url}/api/v1/auth/register (see the API docs)`]);
  } else if (config.registrationEnabled) {
    rows.push(['Sign up', `${url}${SIGN_UP_PATH}  (create your organization in the browser)`]);
    rows.push(['Sign in', `${url}${SIGN_IN_PATH}`]);
  } else {
    rows.push(['Sign in', `${url}${SIGN_IN_PATH}  (sign-up is off: REGISTRATION_ENABLED=false)`]);
  }
  rows.push(['API docs', `${url}/docs`]);
  rows.push(['Super admin', 'npx bul admin create --email you@example.com --name "Your Name"']);
  const database = config.databaseUrl
    ? 'external PostgreSQL (DATABASE_URL)'
    : `embedded PostgreSQL in ${opts.embeddedDataPath ?? `${config.dataDir}/postgres`}`;
  rows.push(['Data', `${config.dataDir}; ${database}`]);
  const levels = ['trace', 'debug'];
  if (resolveLogFormat(config.logFormat) === 'pretty' && !levels.includes(config.logLevel))
    rows.push(['Logs', 'one line per event; LOG_LEVEL=debug adds one per request']);
  rows.push(['Stop', 'Ctrl-C (finishes requests in flight first)']);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return `\n  BUL is running at ${url}\n\n${rows.map(([k, v]) => `  ${`${k}:`.padEnd(width)}${v}\n`).join('')}\n`;
}

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
  const log = configuredLogger(config);
  if (config.sentryDsn)
    await startErrorReports({
      dsn: config.sentryDsn,
      environment: config.sentryEnvironment,
      release: `bul@${VERSION}`,
      warn: (message) => log.warn(message),
    });
  const running = await startBul(config, log);
  if (running.url) {
    log.info({ url: running.url, role: config.role }, `BUL is ready at ${running.url}`);
    process.stderr.write(
      startBanner({
        url: running.url,
        config,
        webApp: webAppBuilt(),
        embeddedDataPath: running.embeddedDataPath,
      }),
    );
  } else {
    log.info({ role: config.role }, 'BUL worker is running');
  }
  await new Promise<void>((resolve) => {
    closeWithGrace({ delay: config.shutdownTimeout * 1000 }, async ({ signal, err }) => {
      if (err) {
        log.error({ err }, 'shutting down after an error');
        reportError(err, { source: 'process' });
      } else log.info({ signal }, 'shutting down');
      await running.stop();
      await stopTelemetry(); // the last spans and reports
      log.info('stopped');
      resolve();
    });
  });
  return 0;
}
