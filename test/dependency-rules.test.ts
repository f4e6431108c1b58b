// The dependency rules of docs/architecture.md, as `npm run check` runs them (depcruise with
// .dependency-cruiser.cjs): the source tree keeps them, and a file that breaks one fails the
// check naming the rule. The probe files go into src/ for the length of one run and are removed
// (one after another: the whole tree is checked too).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'vitest';
import { ROOT } from './support/process.ts';

const run = promisify(execFile);
const DEPCRUISE = path.join(ROOT, 'node_modules', '.bin', 'depcruise');

async function depcruise(...targets: string[]): Promise<{ code: number; output: string }> {
  try {
    const r = await run(DEPCRUISE, ['--config', '.dependency-cruiser.cjs', ...targets], { cwd: ROOT });
    return { code: 0, output: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

/** Runs depcruise on a file written at `where` (relative to src/) for the call only. */
async function checkProbe(where: string, source: string) {
  const rel = path.join('src', where.replace('PROBE', `dependency-probe-${randomBytes(4).toString('hex')}`));
  writeFileSync(path.join(ROOT, rel), source);
  try {
    return { file: rel, ...(await depcruise(rel)) };
  } finally {
    rmSync(path.join(ROOT, rel), { force: true });
  }
}

describe('the dependency rules (npm run check)', () => {
  it('hold for the source tree', { timeout: 60_000 }, async ({ expect }) => {
    const r = await depcruise('src');
    expect(r.output).toContain('no dependency violations found');
    expect(r.code).toBe(0);
  });

  it('fail when the platform imports a module', { timeout: 60_000 }, async ({ expect }) => {
    const r = await checkProbe(
      'platform/PROBE.ts',
      "import type { WorkService } from '../modules/work/service.ts';\nexport type X = WorkService;\n",
    );
    expect(r.code).not.toBe(0);
    expect(r.output).toContain(`error platform-imports-no-module: ${r.file} → src/modules/work/service.ts`);
  });

  it("fail when a module imports another's file other than its service.ts, even for a type", {
    timeout: 60_000,
  }, async ({ expect }) => {
    const r = await checkProbe(
      'modules/business/PROBE.ts',
      "import type { TaskRow } from '../work/task-store.ts';\nexport type X = TaskRow;\n",
    );
    expect(r.code).not.toBe(0);
    expect(r.output).toContain(
      `error module-imports-other-module-through-service: ${r.file} → src/modules/work/task-store.ts`,
    );
  });

  it('fail when a module imports one above it (audit → work)', { timeout: 60_000 }, async ({ expect }) => {
    const r = await checkProbe(
      'modules/audit/PROBE.ts',
      "import { WorkService } from '../work/service.ts';\nexport const x = WorkService;\n",
    );
    expect(r.code).not.toBe(0);
    expect(r.output).toContain(`error module-dependency-direction: ${r.file} → src/modules/work/service.ts`);
  });

  it('fail when a module imports the module list or a composition root', { timeout: 60_000 }, async ({
    expect,
  }) => {
    const r = await checkProbe(
      'modules/work/PROBE.ts',
      "import { MODULES } from '../index.ts';\nexport const x = MODULES;\n",
    );
    expect(r.code).not.toBe(0);
    expect(r.output).toContain(
      `error composition-root-imported-by-nothing-below: ${r.file} → src/modules/index.ts`,
    );
  });
});

describe('between two new modules (not in the order of .dependency-cruiser.cjs)', () => {
  it('a cycle fails the check', { timeout: 60_000 }, async ({ expect }) => {
    const tag = randomBytes(4).toString('hex');
    const [a, b] = [`probe-a-${tag}`, `probe-b-${tag}`];
    const dirs = [a, b].map((m) => path.join(ROOT, 'src', 'modules', m));
    try {
      for (const [dir, other] of [
        [dirs[0]!, b],
        [dirs[1]!, a],
      ] as const) {
        mkdirSync(dir);
        writeFileSync(
          path.join(dir, 'service.ts'),
          `import type { X as Y } from '../${other}/service.ts';\nexport type X = { other?: Y };\n`,
        );
      }
      const r = await depcruise(`src/modules/${a}`, `src/modules/${b}`);
      expect(r.code).not.toBe(0);
      expect(r.output).toContain(`error no-circular-between-modules: src/modules/${a}/service.ts → `);
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });
});
