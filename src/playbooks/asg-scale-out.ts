/**
 * Playbook `asg-scale-out`: high CPU on an Auto Scaling group (CloudWatch `AWS/EC2/CPUUtilization` ALARM on the
 * group's `AutoScalingGroupName` dimension). Its goal is the alarm back to OK, not a setting: an alarm already OK is
 * nothing to do. When the alarm has its own scaling action, the playbook does not race it: the plan is empty and
 * verification watches the alarm return to OK within the window (the propagation wait). Otherwise it raises the
 * desired capacity by one, within the group's maximum, and verifies the same way; a group at its maximum is
 * escalated. An availability playbook: its compensation restores the recorded capacity.
 *
 * The state is the group's desired capacity and maximum (the fields recorded before the kit, all a rollback restores)
 * and, under `State`, what the alarm the finding names (`details.alarmName`) says: its state and whether it runs a
 * scaling policy. The alarm is the world's, not the group's: the rollback's comparisons of recorded states ignore a
 * `State` key (src/domain/rollback.ts, VOLATILE), so an alarm back to OK is no drift and no failed restore, and a
 * prior recorded before the kit (without it) still compares equal.
 */
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { z } from 'zod';
import { definePlaybook } from '../kit/playbook-kit';
import { AUTO_SCALING_GROUP_NAME } from './shared/resource-ids';

/** True for an alarm action that runs an Auto Scaling policy. */
export function isScalingAction(action: string): boolean {
  return /^arn:aws[a-z-]*:autoscaling:[a-z0-9-]+:\d{12}:scalingPolicy:/.test(action);
}

const state = z.object({
  /** The group's desired capacity and maximum: the prior state recorded before the kit. */
  desiredCapacity: z.number(),
  maxSize: z.number(),
  /** The alarm the finding names, when it names one (absent in a prior recorded before the kit). */
  State: z
    .object({
      alarmName: z.string(),
      /** Its state (`ALARM`, `OK`); absent when the alarm is missing. */
      alarmState: z.string().optional(),
      /** It runs an Auto Scaling policy of its own: the playbook only watches. */
      alarmScales: z.boolean(),
    })
    .optional(),
});
type CapacityState = z.infer<typeof state>;

/** The alarm is back to OK: the goal. */
const alarmOk = (s: CapacityState) => s.State?.alarmState === 'OK';
/** The alarm scales the group by itself: nothing to race. */
const alarmScales = (s: CapacityState) => s.State?.alarmScales === true;
const alarmSays = (s: CapacityState) =>
  `alarm ${s.State?.alarmName ?? '?'} ${s.State?.alarmState ?? 'missing'}`;

/** The capacity the step raises to: one more than recorded, within the recorded maximum. */
const target = (prior: CapacityState) => Math.min(prior.desiredCapacity + 1, prior.maxSize);

export const asgScaleOut = definePlaybook({
  id: 'asg-scale-out',
  title: 'Scale out an Auto Scaling group under load',
  kind: 'availability',
  defaultMode: 'auto',
  roleFamily: 'availability',
  resource: {
    type: 'AWS::AutoScaling::AutoScalingGroup',
    idPattern: AUTO_SCALING_GROUP_NAME,
  },
  defaultSeverity: 5,
  triggers: { alarmMetrics: ['AWS/EC2/CPUUtilization'] },
  iamActions: [
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:SetDesiredCapacity',
    'cloudwatch:DescribeAlarms',
  ],
  state,

  async read({ client, resource, finding, abortSignal }) {
    const group = (
      await client(AutoScalingClient).send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [resource.resourceId] }),
        { abortSignal },
      )
    ).AutoScalingGroups?.[0];
    if (!group) return undefined;
    const read: CapacityState = { desiredCapacity: group.DesiredCapacity ?? 0, maxSize: group.MaxSize ?? 0 };
    const name = finding.details.alarmName;
    if (!name) return read;
    const alarm = (
      await client(CloudWatchClient).send(new DescribeAlarmsCommand({ AlarmNames: [name] }), { abortSignal })
    ).MetricAlarms?.[0];
    return {
      ...read,
      State: {
        alarmName: name,
        ...(alarm?.StateValue ? { alarmState: alarm.StateValue } : {}),
        alarmScales: (alarm?.AlarmActions ?? []).some(isScalingAction),
      },
    };
  },
  describe: (s) =>
    `desired capacity ${s.desiredCapacity} (max ${s.maxSize}); ${alarmSays(s)}${
      alarmScales(s) ? ', runs its own scaling policy: verifying it brings the alarm back to OK' : ''
    }`,
  // The goal is the alarm back to OK: an alarm with its own scaling policy is a remediation with nothing to apply.
  compliant: alarmOk,
  stillWrong: (s) => (alarmOk(s) ? undefined : `${alarmSays(s)}, not OK`),
  // CloudWatch judges the alarm once a period (a minute or more) and new instances take minutes to serve: reading
  // back every second would only cost calls.
  verifyBackoff: { firstIntervalMs: 10_000, maximumIntervalMs: 30_000 },
  cannotFix: (s, { resource }) =>
    !alarmScales(s) && s.desiredCapacity >= s.maxSize
      ? `${resource.resourceId} is at its maximum size (${s.maxSize}); capacity needs a person`
      : undefined,

  steps: [
    {
      id: 'raise-desired-capacity',
      title: 'SetDesiredCapacity +1 within max',
      onFailure: 'compensate',
      // Under load, no scaling action of the alarm's own, below the maximum.
      plan: (s, { resource }) =>
        alarmOk(s) || alarmScales(s) || s.desiredCapacity >= s.maxSize
          ? undefined
          : `SetDesiredCapacity ${resource.resourceId}: ${s.desiredCapacity} → ${s.desiredCapacity + 1} (max ${s.maxSize})`,
      // Raised once from the recorded capacity: a repeated or retried apply never raises twice.
      needed: (current, prior) => current.desiredCapacity < target(prior),
      async apply({ client, resource, abortSignal }, current, prior) {
        const to = target(prior);
        await client(AutoScalingClient).send(
          new SetDesiredCapacityCommand({ AutoScalingGroupName: resource.resourceId, DesiredCapacity: to }),
          { abortSignal },
        );
        return { changed: true, detail: `desired capacity ${current.desiredCapacity} → ${to}` };
      },
      async undo({ client, resource, abortSignal }, prior, current) {
        // As before the kit: back to the recorded capacity, whoever changed it since.
        if (current.desiredCapacity === prior.desiredCapacity)
          return { changed: false, detail: 'already as recorded' };
        await client(AutoScalingClient).send(
          new SetDesiredCapacityCommand({
            AutoScalingGroupName: resource.resourceId,
            DesiredCapacity: prior.desiredCapacity,
          }),
          { abortSignal },
        );
        return {
          changed: true,
          detail: `desired capacity ${current.desiredCapacity} → ${prior.desiredCapacity}`,
        };
      },
    },
  ],
});
