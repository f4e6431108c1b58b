// The operations screens' resources, read off the generated API contract.
import type { paths } from '../../api/schema';

/** A metric name the series endpoint accepts. */
export type SeriesMetric = NonNullable<
  paths['/api/v1/monitoring/series']['get']['parameters']['query']
>['metric'];
