/**
 * The metric catalogue's own rules (docs/observability.md): Prometheus names that follow the conventions, CloudWatch
 * dimension sets made of the metric's own labels, and label values folded into small fixed sets.
 */
import { DIMENSION_NAMES, METRICS, histogramBuckets } from '../../src/metrics/catalogue';
import type { MetricDefinition } from '../../src/metrics/catalogue';
import { accountLabel, escalationReason, sourceLabel } from '../../src/metrics/labels';
import { serviceLabel } from '../../src/metrics/aws-error-metric';

const all: [string, MetricDefinition][] = Object.entries(METRICS);

it.each(all)('%s: a Prometheus name by the conventions, unique, with its kind', (_key, m) => {
  expect(m.name).toMatch(/^remediator_[a-z0-9_]+$/);
  if (m.kind === 'counter') expect(m.name).toMatch(/_total$/);
  else expect(m.name).not.toMatch(/_total$/);
  if (m.kind === 'histogram') {
    expect(m.name).toMatch(/_seconds$/);
    expect(m.buckets?.length).toBeGreaterThan(3);
    expect([...(m.buckets ?? [])]).toEqual([...(m.buckets ?? [])].sort((a, b) => a - b));
  }
  expect(all.filter(([, other]) => other.name === m.name)).toHaveLength(1);
  expect(m.description.length).toBeGreaterThan(20);
});

it.each(all.filter(([, m]) => m.cloudWatch !== undefined))(
  '%s: its CloudWatch dimension sets are made of its own labels',
  (_key, m) => {
    const own = m.labels.map((l) => DIMENSION_NAMES[l as keyof typeof DIMENSION_NAMES]);
    for (const set of m.cloudWatch?.dimensionSets ?? []) {
      for (const dimension of set) expect(own).toContain(dimension);
    }
    expect(m.cloudWatch?.unit).toBe(m.kind === 'histogram' ? 'Seconds' : 'Count');
  },
);

it('keeps every CloudWatch metric name unique and leaves high-cardinality labels out of the dimension sets', () => {
  const names = all.flatMap(([, m]) => (m.cloudWatch ? [m.cloudWatch.name] : []));
  expect(new Set(names).size).toBe(names.length);
  const dimensions = all.flatMap(([, m]) => m.cloudWatch?.dimensionSets.flat() ?? []);
  expect(dimensions).not.toContain('Account');
});

it('gives the runtime the bucket bounds of every histogram, by Prometheus name', () => {
  expect(histogramBuckets()).toEqual({
    remediator_ingest_message_age_seconds: [...(METRICS.ingestMessageAge.buckets ?? [])],
    remediator_time_to_verified_fix_seconds: [...(METRICS.timeToVerifiedFix.buckets ?? [])],
    remediator_approval_wait_seconds: [...(METRICS.approvalWait.buckets ?? [])],
  });
});

it('folds label values a message or an error could make up into fixed sets', () => {
  expect(sourceLabel('aws.config')).toBe('aws.config');
  expect(sourceLabel('evil.source\n')).toBe('other');
  expect(sourceLabel(undefined)).toBe('other');
  expect(accountLabel('123456789012')).toBe('123456789012');
  expect(accountLabel('12345678901x')).toBe('unknown');
  expect(escalationReason('Protected')).toBe('protected');
  expect(escalationReason('ApprovalTimeout')).toBe('approval_timeout');
  expect(escalationReason(undefined)).toBe('cannot_fix');
  expect(escalationReason('AccessDenied')).toBe('failure');
  expect(serviceLabel('s3')).toBe('s3');
  expect(serviceLabel('class:S3ControlClient')).toBe('s3control');
});
