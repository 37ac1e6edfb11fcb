/**
 * "CloudWatch Alarm State Change" → `Finding`. The alarm's metric dimensions name the resource (an instance, an Auto
 * Scaling group); the account and region come from the alarm's ARN. `ALARM` can start a remediation; `OK` only tells
 * a running one; `INSUFFICIENT_DATA` is not actionable. The control is `<namespace>/<metric name>`.
 */
import { z } from 'zod';
import type { Finding, FindingState, ResourceRef } from '../domain/finding';
import type { EventBridgeEnvelope } from './envelope';
import { parseDetail } from './envelope';
import { IngestRejection } from './rejection';

const metricSchema = z.object({
  metricStat: z
    .object({
      metric: z.object({
        namespace: z.string().min(1),
        name: z.string().min(1),
        dimensions: z.record(z.string(), z.string()).default({}),
      }),
    })
    .optional(),
});

/** The fields of an alarm state change we rely on. */
export const alarmDetailSchema = z.object({
  alarmName: z.string().min(1).max(255),
  state: z.object({ value: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']), timestamp: z.string().optional() }),
  configuration: z.object({ metrics: z.array(metricSchema).default([]) }).default({ metrics: [] }),
});

const STATES: Record<'ALARM' | 'OK' | 'INSUFFICIENT_DATA', FindingState> = {
  ALARM: 'FAILED',
  OK: 'PASSED',
  INSUFFICIENT_DATA: 'NOT_APPLICABLE',
};

/** Normalises an alarm state change. */
export function normaliseAlarm(envelope: EventBridgeEnvelope): Finding {
  const detail = parseDetail(alarmDetailSchema, envelope);
  const arn = envelope.resources.find((r) => r.startsWith('arn:') && r.includes(':alarm:'));
  const [, , , arnRegion, arnAccount] = arn?.split(':') ?? [];
  const account = arnAccount ?? envelope.account;
  const region = arnRegion ?? envelope.region;
  if (!account || !/^\d{12}$/.test(account))
    throw new IngestRejection(`alarm ${detail.alarmName}: no account in its ARN`);
  const metric = detail.configuration.metrics.find((m) => m.metricStat)?.metricStat?.metric;
  const dims = metric?.dimensions ?? {};
  let resource: ResourceRef;
  if (dims.InstanceId && /^i-[0-9a-f]{8,17}$/.test(dims.InstanceId)) {
    resource = { account, region, resourceType: 'AWS::EC2::Instance', resourceId: dims.InstanceId };
  } else if (dims.AutoScalingGroupName && /^[^\s]{1,255}$/.test(dims.AutoScalingGroupName)) {
    resource = {
      account,
      region,
      resourceType: 'AWS::AutoScaling::AutoScalingGroup',
      resourceId: dims.AutoScalingGroupName,
    };
  } else {
    resource = { account, region, resourceType: 'AWS::CloudWatch::Alarm', resourceId: detail.alarmName };
  }
  const control = metric ? `${metric.namespace}/${metric.name}` : `alarm/${detail.alarmName}`;
  return {
    source: 'aws.cloudwatch',
    control,
    state: STATES[detail.state.value],
    resource,
    severity: 6,
    title: `CloudWatch alarm ${detail.alarmName} is ${detail.state.value}`,
    observedAt: detail.state.timestamp ?? envelope.time,
    eventId: envelope.id,
    details: { alarmName: detail.alarmName, alarmState: detail.state.value },
  };
}
