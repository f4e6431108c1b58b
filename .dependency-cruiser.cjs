// The dependency rules of docs/architecture.md ("Dependencies"), checked by `npm run check`
// (`depcruise src`). test/dependency-rules.test.ts shows each rule failing when broken.
//
// TypeScript 7 has no JavaScript API for dependency-cruiser to parse with, so it parses with swc
// (@swc/core); swc keeps `import type` lines, so type-only imports obey the same rules.

/**
 * The modules each module may import (through their service.ts), lowest first. A module missing
 * here (a new one) may import any module's service.ts; none listed here may import it back.
 */
const MAY_IMPORT = {
  audit: [],
  access: ['audit'],
  tenancy: ['access', 'audit'],
  identity: ['tenancy', 'access', 'audit'],
  work: ['tenancy', 'access', 'audit'],
  business: ['work', 'tenancy', 'access', 'audit'],
  analytics: ['tenancy', 'access', 'audit', 'monitoring', 'security', 'alerts', 'system', 'backups'],
  backups: ['audit', 'monitoring'],
  system: ['identity', 'tenancy', 'access', 'audit', 'notifications', 'monitoring'],
};

const directionRules = Object.entries(MAY_IMPORT).map(([module, allowed]) => ({
  name: 'module-dependency-direction',
  comment: `${module} may import ${allowed.length ? allowed.join(', ') : 'no other module'} (docs/architecture.md)`,
  severity: 'error',
  from: { path: `^src/modules/${module}/` },
  to: {
    path: '^src/modules/[^/]+/',
    pathNot: [`^src/modules/${module}/`, ...allowed.map((m) => `^src/modules/${m}/`)],
  },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'platform-imports-no-module',
      comment: 'src/platform/ holds mechanisms without business rules: it never imports a module.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/modules/' },
    },
    {
      name: 'module-imports-other-module-through-service',
      comment:
        "A module uses another only through that module's service.ts (its services and the types they take and give).",
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: {
        path: '^src/modules/[^/]+/',
        pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/service\\.ts$'],
      },
    },
    ...directionRules,
    {
      name: 'composition-root-imported-by-nothing-below',
      comment:
        'The composition roots (app, runtime, services, the module list, the commands) compose modules and platform; neither imports them.',
      severity: 'error',
      from: { path: '^src/(platform|modules)/' },
      to: {
        path: ['^src/(app|runtime|services|main)\\.ts$', '^src/modules/index\\.ts$', '^src/cli/'],
      },
    },
    {
      name: 'no-circular-between-modules',
      comment: 'Dependencies between modules point one way.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: { circular: true, path: '^src/modules/', pathNot: '^src/modules/$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|web|test|bench|scripts)/' },
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
