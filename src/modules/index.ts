// Every module of BUL, in dependency order: a module comes after those whose services it needs.
// The API process and the worker are both composed from this list (src/app.ts, src/runtime.ts);
// adding a module is its folder plus one line here.
import type { ServicesOf } from '../platform/module.ts';
import { accessModule } from './access/definition.ts';
import { alertsModule } from './alerts/definition.ts';
import { analyticsModule } from './analytics/definition.ts';
import { auditModule } from './audit/definition.ts';
import { backupsModule } from './backups/definition.ts';
import { businessModule } from './business/definition.ts';
import { cacheModule } from './cache/definition.ts';
import { eventsModule } from './events/definition.ts';
import { identityModule } from './identity/definition.ts';
import { monitoringModule } from './monitoring/definition.ts';
import { notificationsModule } from './notifications/definition.ts';
import { securityModule } from './security/definition.ts';
import { systemModule } from './system/definition.ts';
import { tenancyModule } from './tenancy/definition.ts';
import { webhooksModule } from './webhooks/definition.ts';
import { workModule } from './work/definition.ts';

export const MODULES = [
  auditModule,
  eventsModule,
  accessModule,
  tenancyModule,
  identityModule,
  workModule,
  businessModule,
  monitoringModule,
  securityModule,
  alertsModule,
  webhooksModule,
  notificationsModule,
  systemModule,
  backupsModule,
  cacheModule,
  // Last: its executive metrics read monitoring, security, alerts and system's health checks.
  analyticsModule,
] as const;

/** Every service the modules build, by name (what a job or an event handler can use). */
export type Services = ServicesOf<typeof MODULES>;
