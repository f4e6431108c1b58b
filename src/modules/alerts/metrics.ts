// What alerting reads of the monitoring module (through its service.ts): the metric catalogue
// and the service that answers samples per step.
export {
  isMetric,
  labelProblem,
  METRICS,
  type MetricDefinition,
  type MetricName,
  MonitoringService,
  type Point,
  type PointsQuery,
  samplePeriodOf,
} from '../monitoring/service.ts';
