// Builds the web app into web/dist with Vite. `--if-missing` (used by `npm install` and
// `npm start`) skips the build when web/dist already holds one; `npm run build` always rebuilds.
// `--out-dir DIR` builds into DIR instead (the tests, which must not empty the web/dist in use).
// It says when it starts and when it has finished (or failed), with the time it took.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WEB = path.join(ROOT, 'web');
const { values } = parseArgs({
  options: { 'if-missing': { type: 'boolean' }, 'out-dir': { type: 'string' } },
  strict: true,
});
const outDir = path.resolve(values['out-dir'] ?? path.join(WEB, 'dist'));
const shown = path.relative(ROOT, outDir).startsWith('..') ? outDir : path.relative(ROOT, outDir);

if (values['if-missing'] && existsSync(path.join(outDir, 'index.html'))) process.exit(0);

const vite = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
if (!existsSync(vite)) {
  process.stderr.write(
    'web app not built: Vite is not installed (run `npm install` with dev dependencies, then `npm run build`)\n',
  );
  // Not fatal for `npm start`: the server runs and `/` says how to build the web app.
  process.exit(values['if-missing'] ? 0 : 1);
}
process.stderr.write(`building the web app into ${shown}…\n`);
const started = performance.now();
// Always a production build, whatever NODE_ENV the caller runs under (vitest sets `test`, which
// would make Vite bundle React's development build).
const result = spawnSync(
  process.execPath,
  [vite, 'build', '--logLevel', 'warn', '--outDir', outDir, '--emptyOutDir'],
  { cwd: WEB, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (result.status === 0) process.stderr.write(`built the web app into ${shown} in ${seconds} s\n`);
else
  process.stderr.write(
    `web app build failed after ${seconds} s (Vite ${result.status === null ? `killed by ${result.signal}` : `exited with ${result.status}`}): see the errors above\n`,
  );
process.exit(result.status ?? 1);
