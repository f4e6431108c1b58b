// The work module's services, built together: clients (with contacts), projects (with milestones
// and expenses) and tasks (with comments, time, watchers and attachments). Other modules and the
// routes reach work management through this object.
import type { Config } from '../../config.ts';
import type { Db } from '../../platform/db/transaction.ts';
import type { AuditService } from '../audit/service.ts';
import type { TenancyService } from '../tenancy/service.ts';
import { AttachmentFiles } from './attachment-files.ts';
import { AttachmentService } from './attachment-service.ts';
import { BulkService } from './bulk-service.ts';
import { ClientService } from './client-service.ts';
import { ProjectService } from './project-service.ts';
import { TaskActivityService } from './task-activity-service.ts';
import { TaskService } from './task-service.ts';

// What other modules plug into work (business registers its ledger, writes its exports to work's
// sinks): they reach these types through this file, like the services.
export type { ExportSink } from './bulk-service.ts';
export type { ClientLedger } from './client-service.ts';

export interface WorkDeps {
  db: Db;
  config: Config;
  audit: AuditService;
  tenancy: TenancyService;
}

export class WorkService {
  readonly clients: ClientService;
  readonly projects: ProjectService;
  readonly tasks: TaskService;
  readonly taskActivity: TaskActivityService;
  readonly attachments: AttachmentService;
  readonly bulk: BulkService;
  readonly files: AttachmentFiles;

  constructor(deps: WorkDeps) {
    this.files = new AttachmentFiles(deps.config.dataDir);
    this.clients = new ClientService(deps);
    this.projects = new ProjectService({ ...deps, clients: this.clients, files: this.files });
    this.tasks = new TaskService({ ...deps, projects: this.projects, files: this.files });
    this.taskActivity = new TaskActivityService({ ...deps, tasks: this.tasks });
    this.attachments = new AttachmentService({ ...deps, tasks: this.tasks, files: this.files });
    this.bulk = new BulkService({
      ...deps,
      clients: this.clients,
      projects: this.projects,
      tasks: this.tasks,
    });
  }
}
