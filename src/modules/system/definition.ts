// The system module as the processes compose it: the housekeeping jobs every installation runs.
// Its HTTP surface (health, readiness, metrics, the landing page) belongs to the process rather
// than to /api/v1, so app.ts mounts it; the demo seeder is a command (`bul seed-demo`).
import { defineModule } from '../../platform/module.ts';
import { housekeepingJobs } from './jobs.ts';

export const systemModule = defineModule({
  name: 'system',
  needs: [],
  build: () => ({}),
  jobs: ({ deps }) => housekeepingJobs(deps.pool),
});
