// The backups module's entry point (the only file other modules import): runs, settings,
// restores and the runner that workers and `bul backup` use, built together. See docs/backups.md.
import type { Config } from '../../config.ts';
import type { Cache } from '../../platform/cache/cache.ts';
import type { MasterKey } from '../../platform/crypto/master-key.ts';
import type { Db } from '../../platform/db/transaction.ts';
import type { AuditService } from '../audit/service.ts';
import type { MonitoringService } from '../monitoring/service.ts';
import { ConfigService } from './config-service.ts';
import { type BackupEnvironment, backupEnvironment } from './engine.ts';
import { RestoreService } from './restore-service.ts';
import { type BackupHealth, RunService } from './run-service.ts';
import { BackupRunner } from './runner.ts';

export type { BackupEnvironment } from './engine.ts';
export type { BackupHealth } from './run-service.ts';

export interface BackupDeps {
  db: Db;
  audit: AuditService;
  monitoring: MonitoringService;
  /** The process's cache (a restore clears it). */
  cache: Cache;
  config: Config;
  masterKey: MasterKey;
  ownerUrl: string;
  clock?: () => Date;
  onError?: (err: unknown) => void;
}

export class BackupServices {
  readonly runs: RunService;
  readonly configs: ConfigService;
  readonly restores: RestoreService;
  readonly runner: BackupRunner;
  private environment: BackupEnvironment | null = null;
  private readonly d: BackupDeps;

  constructor(d: BackupDeps) {
    this.d = d;
    const clock = d.clock ?? (() => new Date());
    // Built on first use: a process that never touches backups never opens a target.
    const env = () => this.env();
    this.runner = new BackupRunner({
      db: d.db,
      audit: d.audit,
      monitoring: d.monitoring,
      cache: d.cache,
      env,
      clock,
      onError: d.onError ?? (() => {}),
    });
    this.runs = new RunService({ db: d.db, audit: d.audit, env, clock });
    this.configs = new ConfigService({ db: d.db, audit: d.audit, env, clock });
    this.restores = new RestoreService({ db: d.db, audit: d.audit, runner: this.runner });
  }

  env(): BackupEnvironment {
    this.environment ??= backupEnvironment({
      config: this.d.config.backup,
      dataDir: this.d.config.dataDir,
      masterKey: this.d.masterKey,
      ownerUrl: this.d.ownerUrl,
    });
    return this.environment;
  }

  /** The executive figure: age, last success, status, stored size, 30-day success rate. */
  async executiveHealth(): Promise<
    Pick<BackupHealth, 'ageSeconds' | 'lastSuccessAt' | 'status' | 'sizeBytes' | 'successRate30d'>
  > {
    const h = await this.runs.health();
    return {
      ageSeconds: h.ageSeconds,
      lastSuccessAt: h.lastSuccessAt,
      status: h.status,
      sizeBytes: h.sizeBytes,
      successRate30d: h.successRate30d,
    };
  }
}
