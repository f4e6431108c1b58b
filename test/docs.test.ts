// Documents that mirror code must not drift: regenerate with `npm run docs`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  envExample,
  eventsDoc,
  permissionsDoc,
  ROOT,
  readmeWithTable,
  workStatusesDoc,
} from '../scripts/generate-docs.ts';
import { prometheusRules, RULES_FILE } from '../scripts/generate-prometheus-rules.ts';
import { SETTINGS } from '../src/config.ts';

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

describe('generated documents are current (npm run docs)', () => {
  it('.env.example lists every setting', () => {
    expect(read('.env.example')).toBe(envExample());
    for (const s of SETTINGS) expect(read('.env.example')).toMatch(new RegExp(`^#? ?${s.env}=`, 'm'));
  });

  it('README.md carries the configuration table of every setting', () => {
    const readme = read('README.md');
    expect(readme).toBe(readmeWithTable(readme));
    for (const s of SETTINGS) expect(readme).toContain(`| \`${s.env}\` |`);
  });

  it('docs/work-statuses.md matches the status machines in src/modules/work/transitions.ts', () => {
    expect(read('docs/work-statuses.md')).toBe(workStatusesDoc());
  });

  it('docs/permissions.md matches the permission catalogue and built-in roles', () => {
    expect(read('docs/permissions.md')).toBe(permissionsDoc());
  });

  it(`${RULES_FILE} mirrors the built-in alert rules`, () => {
    expect(read(RULES_FILE)).toBe(prometheusRules());
  });

  it('docs/events.md matches the event catalogue and the audit actions', () => {
    expect(read('docs/events.md')).toBe(eventsDoc());
  });

  it('README shows the two commands', () => {
    const readme = read('README.md');
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });
});
