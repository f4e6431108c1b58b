// Builds the web app into web/dist with Vite. `--if-missing` (used by `npm install` and
// `npm start`) skips the build when web/dist already holds one; `npm run build` always rebuilds.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WEB = path.join(ROOT, 'web');
const built = existsSync(path.join(WEB, 'dist', 'index.html'));

if (process.argv.includes('--if-missing') && built) process.exit(0);

const vite = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
if (!existsSync(vite)) {
  process.stderr.write(
    'web app not built: Vite is not installed (run `npm install` with dev dependencies, then `npm run build`)\n',
  );
  // Not fatal for `npm start`: the server runs and `/` says how to build the web app.
  process.exit(process.argv.includes('--if-missing') ? 0 : 1);
}
process.stderr.write('building the web app (web/dist)…\n');
// Always a production build, whatever NODE_ENV the caller runs under (vitest sets `test`, which
// would make Vite bundle React's development build).
const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
  cwd: WEB,
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'production' },
});
process.exit(result.status ?? 1);
