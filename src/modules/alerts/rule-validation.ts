// The checks of a rule that a schema cannot express, all reported at once, each naming its field:
// an unknown metric, a metric not measured for the rule's scope, an impossible threshold for the
// metric's unit, a window shorter than the sampling interval, `contains` on a metric that is not
// a count, an evaluation interval below the sampling interval, labels the metric does not have. (A cooldown of zero, an unknown
// operator and the like are refused by the schema.)
import { AppError, type FieldError, fieldError } from '../../platform/errors.ts';
import type { Condition } from './evaluate.ts';
import { ALERTS } from './messages.ts';
import {
  isMetric,
  labelProblem,
  METRICS,
  type MetricDefinition,
  type MetricName,
  samplePeriodOf,
} from './metrics.ts';
import type { ConditionInput } from './schemas.ts';

export type RuleScope = 'organization' | 'platform';

const allowed = (info: MetricDefinition, scope: RuleScope) =>
  info.scope === 'both' || (scope === 'platform' ? info.scope === 'platform' : info.scope === 'org');

export function metricInfo(metric: string): MetricDefinition | undefined {
  return isMetric(metric) ? METRICS[metric] : undefined;
}

/** Whether the window's total is compared (counters per interval), not each step. */
export const isTotal = (info: MetricDefinition) => info.unit === 'count' && info.combine === 'sum';

export function checkRule(
  r: { conditions?: readonly ConditionInput[]; evaluateEverySeconds?: number },
  scope: RuleScope,
  sampleIntervalSeconds: number,
): void {
  const errors: FieldError[] = [];
  if (r.evaluateEverySeconds !== undefined && r.evaluateEverySeconds < sampleIntervalSeconds)
    errors.push(
      fieldError(
        'evaluateEverySeconds',
        'minimum',
        ALERTS.everyTooShort({ interval: sampleIntervalSeconds }),
      ),
    );
  (r.conditions ?? []).forEach((c, i) => {
    const at = (name: string) => `conditions[${i}].${name}`;
    const info = metricInfo(c.metric);
    if (!info) {
      errors.push(fieldError(at('metric'), 'metric', ALERTS.unknownMetric({ metric: c.metric })));
      return;
    }
    if (!allowed(info, scope))
      errors.push(
        fieldError(
          at('metric'),
          'metricScope',
          ALERTS.metricScope({
            metric: c.metric,
            scope: info.scope === 'org' ? 'organizations' : 'the platform',
          }),
        ),
      );
    if (info.unit === 'percent' && (c.threshold < 0 || c.threshold > 100))
      errors.push(fieldError(at('threshold'), 'range', ALERTS.percentRange()));
    else if (info.unit !== 'percent' && c.threshold < 0)
      errors.push(fieldError(at('threshold'), 'minimum', ALERTS.negativeThreshold({ unit: info.unit })));
    if (c.forMinutes * 60 < sampleIntervalSeconds)
      errors.push(
        fieldError(
          at('forMinutes'),
          'window',
          ALERTS.windowTooShort({ seconds: Math.round(c.forMinutes * 60), interval: sampleIntervalSeconds }),
        ),
      );
    // Monitoring's own check of a sample's labels: a label the metric lacks, or a value it would
    // never store, matches no sample, so the rule could never fire.
    if (isMetric(c.metric) && labelProblem(c.metric, c.labels)) {
      const allowed: readonly string[] = info.labels ?? [];
      const [key] = Object.keys(c.labels ?? {}).filter((k) =>
        labelProblem(c.metric as MetricName, { [k]: c.labels![k]! }),
      );
      errors.push(
        allowed.includes(key!)
          ? fieldError(at('labels'), 'labelValue', ALERTS.labelValue({ key: key! }))
          : fieldError(
              at('labels'),
              'label',
              ALERTS.labelNotAllowed({
                metric: c.metric,
                key: key!,
                allowed: { list: allowed.length ? allowed : ['—'] },
              }),
            ),
      );
    }
    if (c.operator === 'contains' && info.unit !== 'count')
      errors.push(
        fieldError(
          at('operator'),
          'contains',
          ALERTS.containsNotCount({ metric: c.metric, unit: info.unit }),
        ),
      );
  });
  if (errors.length > 0) throw new AppError('validation-failed', errors[0]!.msg, { errors });
}

/**
 * A stored condition as the evaluator reads it. Its step is the metric's own sampling period when
 * that is longer than the sample interval (quota.* every 5 minutes), so coverage waits for it.
 */
export function toCondition(c: ConditionInput, sampleIntervalSeconds: number): Condition {
  const info = metricInfo(c.metric);
  return {
    operator: c.operator,
    threshold: c.threshold,
    forMinutes: c.forMinutes,
    total: info ? isTotal(info) : false,
    stepSeconds: isMetric(c.metric) ? samplePeriodOf(c.metric, sampleIntervalSeconds) : sampleIntervalSeconds,
  };
}
