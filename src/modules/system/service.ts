// The system module's entry point for other modules: the health checks' reading side (score,
// status, uptime) and the runner of the rounds.
export { HealthRunner, type HealthSample } from './health-runner.ts';
export { HealthService } from './health-service.ts';
