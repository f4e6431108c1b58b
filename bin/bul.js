#!/usr/bin/env node
// Entry point of the `bul` command. BUL's sources are TypeScript that Node runs directly by
// stripping types (on by default from Node 22.18 and in Node 24; Node 22.12–22.17 need the flag,
// so the command re-runs itself with it there). There is no build step for the server.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `bul: BUL needs Node.js 22.12 or later (24 LTS recommended); this is ${process.version}\n`,
  );
  process.exit(1);
}

if (!process.features.typescript) {
  const child = spawn(
    process.execPath,
    [
      '--experimental-strip-types',
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      ...process.argv.slice(2),
    ],
    {
      stdio: 'inherit',
    },
  );
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => (signal ? process.kill(process.pid, signal) : process.exit(code ?? 1)));
} else {
  const { main } = await import('../src/main.ts');
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`bul: ${err?.stack ?? err}\n`);
      process.exitCode = 1;
    },
  );
}
