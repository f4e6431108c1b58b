// `npm install && npm start` on a machine whose own Node.js is older than BUL needs (Debian 12 ships
// 18, many machines have 20): the registry's `node` package, a dependency, puts Node 24 in
// node_modules/.bin, which npm puts first on the PATH of every script it runs. This runs the
// machine's own npm (from /usr/bin, not CI's Node 24) and asks which Node its scripts get.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unsupportedNode } from '../bin/node-version.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin';
const systemNpm = ['/usr/local/bin/npm', '/usr/bin/npm'].find((p) => existsSync(p));

describe('the Node.js that npm scripts run on', () => {
  it.skipIf(!systemNpm)("is the node package's Node 24, whatever the machine's own Node is", () => {
    const machine = spawnSync('node', ['-p', 'process.version'], {
      env: { ...process.env, PATH: SYSTEM_PATH },
      encoding: 'utf8',
    });
    console.info(`machine's own Node: ${machine.stdout.trim() || 'none'}`);
    // `npm exec` gives its command the PATH that npm's scripts (start, test, prepare) get.
    const run = spawnSync(systemNpm as string, ['exec', '--offline', '--', 'node', '-p', 'process.version'], {
      cwd: ROOT,
      env: { ...process.env, PATH: SYSTEM_PATH },
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const version = run.stdout.trim();
    const bundled = JSON.parse(
      readFileSync(path.join(ROOT, 'node_modules/node/package.json'), 'utf8'),
    ).version;
    expect(version).toBe(`v${bundled}`);
    expect(unsupportedNode(version)).toBeNull();
    expect(Number(version.slice(1).split('.')[0])).toBeGreaterThanOrEqual(24);
  });
});
