// scripts/build-web.ts (`npm run build`, and `npm install`/`npm start` when web/dist is missing)
// says when the build starts and when it has finished, with the time it took. It builds into a
// temporary directory here, so that the web/dist other test files serve is left alone.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { ROOT } from './support/process.ts';

const outDir = mkdtempSync(path.join(os.tmpdir(), 'bul-web-build-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('the web build', () => {
  it('says it is building, then that it has built, where and in how long', ({ expect }) => {
    const run = spawnSync(
      process.execPath,
      [path.join(ROOT, 'scripts', 'build-web.ts'), '--out-dir', outDir],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toBe(`building the web app into ${outDir}…`);
    expect(lines.at(-1)).toMatch(new RegExp(`^built the web app into ${outDir} in \\d+\\.\\d s$`));
    expect(existsSync(path.join(outDir, 'index.html'))).toBe(true);

    // --if-missing finds the build there and says nothing.
    const again = spawnSync(
      process.execPath,
      [path.join(ROOT, 'scripts', 'build-web.ts'), '--out-dir', outDir, '--if-missing'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect({ status: again.status, stderr: again.stderr }).toEqual({ status: 0, stderr: '' });
  }, 180_000);
});
