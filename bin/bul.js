#!/usr/bin/env node
// Entry point of the `bul` command. BUL's sources are TypeScript that Node runs directly by
// stripping types (on by default from Node 22.18 and in Node 24; Node 22.12–22.17 need the flag).
// There is no build step for the server. When this process lacks a Node flag it needs (type
// stripping on old Node; for `bul start`, the server flags of bin/node-flags.js), the command
// re-runs itself with them: in place (process.execve, same pid) where Node has it, else as a child.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { missingNodeFlags, SERVER_NODE_FLAGS } from './node-flags.js';
import { requireSupportedNode } from './node-version.js';

requireSupportedNode();

const args = process.argv.slice(2);
const flags = [
  ...(process.features.typescript ? [] : ['--experimental-strip-types']),
  ...(args[0] === 'start' ? missingNodeFlags(SERVER_NODE_FLAGS) : []),
];

if (flags.length > 0) {
  const argv = [...flags, ...process.execArgv, fileURLToPath(import.meta.url), ...args];
  if (typeof process.execve === 'function') {
    process.execve(process.execPath, [process.execPath, ...argv], process.env);
  }
  const child = spawn(process.execPath, argv, { stdio: 'inherit' });
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM']))
    process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => (signal ? process.kill(process.pid, signal) : process.exit(code ?? 1)));
} else {
  // Tracing (OTEL_EXPORTER_OTLP_ENDPOINT) starts before src/main.ts imports fastify and pg, which
  // its instrumentations patch as they load; unset, nothing of OpenTelemetry is imported.
  if (args[0] === 'start') {
    // NAME_FILE as src/config.ts reads it; the OpenTelemetry exporter reads only NAME itself, so
    // the value read is put there (and NAME_FILE dropped, or loadConfig would see both set).
    // A file that cannot be read is left for loadConfig to report.
    const { settingText } = await import('../src/config.ts');
    for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) {
      if (process.env[name] || !process.env[`${name}_FILE`]) continue;
      const text = settingText(process.env, name);
      if (text === undefined) continue;
      process.env[name] = text.trim();
      delete process.env[`${name}_FILE`];
    }
  }
  if (
    args[0] === 'start' &&
    (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
  ) {
    const { startTracing } = await import('../src/platform/observability/telemetry.ts');
    await startTracing(process.env);
  }
  const { main } = await import('../src/main.ts');
  main(args).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`bul: ${err?.stack ?? err}\n`);
      process.exitCode = 1;
    },
  );
}
