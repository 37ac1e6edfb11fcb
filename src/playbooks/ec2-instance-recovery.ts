/**
 * Playbook `ec2-instance-recovery`: an instance whose system status check fails (CloudWatch `StatusCheckFailed_System`
 * ALARM). It never races the alarm's own `ec2:recover` action or EC2's automatic recovery: when the alarm has that
 * action, the plan is empty and verification watches the status checks come back (the propagation wait is the
 * recovery window), escalating if they do not. Without it, and only when the policy option
 * `stopStartWithoutRecoverAction` is on, an EBS-backed instance outside an Auto Scaling group is stopped and started
 * (moving it to healthy hardware).
 *
 * A stop and start leaves the instance as it found it (running), so the state alone cannot say whether this finding's
 * stop was made. Once the instance has stopped, the stop step tags it `remediator:stop-start-for` = the finding's
 * event id: a retried or replayed stop that finds the tag does not stop it a second time, and one that finds it
 * stopping waits for it. The tag stays as the record of what was done; a rollback of the stop starts the instance
 * (never left stopped, waiting out a stop in progress) and puts the tag back as it was.
 */
import { DescribeAutoScalingInstancesCommand, AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstanceStatusCommand,
  EC2Client,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import type { Finding } from '../domain/finding';
import { describeInstance, isGone } from '../activities/playbooks/ec2-instances';
import { abortableSleep } from '../abortable-sleep';
import { definePlaybook } from '../kit/playbook-kit';
import type { KitIo } from '../kit/playbook-kit';
import { INSTANCE_RESOURCE } from './shared/resource-ids';

/** The tag that records which finding this playbook stopped and started the instance for. */
export const STOP_START_TAG = 'remediator:stop-start-for';

/** How often a stop or start is polled until the instance gets there. */
const POLL_MS = 2000;
/** The longest a step waits for the instance when its attempt has no deadline. */
const DEFAULT_WAIT_MS = 40_000;

/** The tag's value for a finding: the id of the detector's event (a re-delivery of it has the same id). */
function marker(finding: Finding): string {
  return finding.eventId.slice(0, 256);
}

/** True for an alarm action that makes EC2 recover the instance. */
export function isRecoverAction(action: string): boolean {
  return /^arn:aws[a-z-]*:automate:[a-z0-9-]+:ec2:recover$/.test(action);
}

const state = z.object({
  /** The instance state (`running`); the only field recorded before the kit. */
  state: z.string(),
  rootDeviceType: z.string().optional(),
  inAutoScalingGroup: z.boolean().optional(),
  /** The alarm has EC2's own recover action: the playbook only watches. */
  recoverAction: z.boolean().optional(),
  /** The finding this instance was last stopped and started for (the tag), if any. */
  stopStartFor: z.string().nullable().optional(),
  /** What AWS changes by itself (the alarm, the status checks): observed, never restored (`State` is not compared). */
  State: z
    .object({
      alarmState: z.string().nullable(),
      systemStatus: z.string().nullable(),
      instanceStatus: z.string().nullable(),
    })
    .optional(),
});
type RecoveryState = z.infer<typeof state>;

/** Waits until the instance reaches `want`, within the attempt's deadline; a retried step finds it further along. */
async function waitFor(io: KitIo, want: string): Promise<void> {
  const ec2 = io.client(EC2Client);
  const until = Math.min(io.deadline ?? Infinity, Date.now() + DEFAULT_WAIT_MS);
  for (;;) {
    if ((await describeInstance(ec2, io.resource.resourceId, io))?.State?.Name === want) return;
    if (Date.now() + POLL_MS > until) break;
    await abortableSleep(POLL_MS, io.abortSignal ?? new AbortController().signal);
    if (io.abortSignal?.aborted) break;
  }
  throw Object.assign(new Error(`instance ${io.resource.resourceId} did not reach ${want} yet`), {
    name: 'InstanceStateTransition',
    $fault: 'server',
  });
}

/** Brings the instance to running (waiting out a stop in progress); `true` when it sent the start. */
async function start(io: KitIo, current: RecoveryState): Promise<boolean> {
  if (current.state === 'running') return false;
  if (current.state === 'pending') {
    await waitFor(io, 'running');
    return false;
  }
  // A stop still in progress is waited out: EC2 refuses to start a stopping instance.
  if (current.state === 'stopping') await waitFor(io, 'stopped');
  await io.client(EC2Client).send(new StartInstancesCommand({ InstanceIds: [io.resource.resourceId] }), {
    abortSignal: io.abortSignal,
  });
  await waitFor(io, 'running');
  return true;
}

/** Why stop and start is not allowed here, or `undefined`. */
function stopStartRefusal(s: RecoveryState, io: KitIo): string | undefined {
  if (io.options['stopStartWithoutRecoverAction'] !== true) {
    return 'the policy does not allow stop/start (stopStartWithoutRecoverAction)';
  }
  if (s.inAutoScalingGroup)
    return 'it is in an Auto Scaling group, which replaces unhealthy instances itself';
  if (s.rootDeviceType !== 'ebs') return 'it is instance-store backed (stopping loses its data)';
  return undefined;
}

export const ec2InstanceRecovery = definePlaybook({
  id: 'ec2-instance-recovery',
  title: 'Recover an instance whose system status check fails',
  kind: 'availability',
  defaultMode: 'auto',
  roleFamily: 'availability',
  resource: INSTANCE_RESOURCE,
  defaultSeverity: 6,
  triggers: { alarmMetrics: ['AWS/EC2/StatusCheckFailed_System'] },
  iamActions: [
    'ec2:DescribeInstances',
    'ec2:DescribeInstanceStatus',
    'autoscaling:DescribeAutoScalingInstances',
    'cloudwatch:DescribeAlarms',
    'ec2:StopInstances',
    'ec2:StartInstances',
  ],
  tags: [{ actions: ['ec2:CreateTags', 'ec2:DeleteTags'], keys: [STOP_START_TAG] }],
  state,

  async read(io) {
    const { client, resource, finding, abortSignal } = io;
    const id = resource.resourceId;
    const instance = await describeInstance(client(EC2Client), id, io);
    if (!instance || isGone(instance)) return undefined;
    const alarmName = finding.details.alarmName;
    const alarm = alarmName
      ? (
          await client(CloudWatchClient).send(new DescribeAlarmsCommand({ AlarmNames: [alarmName] }), {
            abortSignal,
          })
        ).MetricAlarms?.[0]
      : undefined;
    const inGroup = await client(AutoScalingClient).send(
      new DescribeAutoScalingInstancesCommand({ InstanceIds: [id] }),
      { abortSignal },
    );
    const status = (
      await client(EC2Client).send(
        new DescribeInstanceStatusCommand({ InstanceIds: [id], IncludeAllInstances: true }),
        { abortSignal },
      )
    ).InstanceStatuses?.[0];
    return {
      state: instance.State?.Name ?? 'unknown',
      rootDeviceType: instance.RootDeviceType ?? 'ebs',
      inAutoScalingGroup: (inGroup.AutoScalingInstances?.length ?? 0) > 0,
      recoverAction: (alarm?.AlarmActions ?? []).some(isRecoverAction),
      stopStartFor: instance.Tags?.find((t) => t.Key === STOP_START_TAG)?.Value ?? null,
      State: {
        alarmState: alarm?.StateValue ?? null,
        systemStatus: status?.SystemStatus?.Status ?? null,
        instanceStatus: status?.InstanceStatus?.Status ?? null,
      },
    };
  },
  describe: (s) =>
    `${s.state}, system status ${s.State?.systemStatus ?? '?'}, instance status ${s.State?.instanceStatus ?? '?'}` +
    (s.recoverAction ? ', its alarm has an ec2:recover action' : ''),
  // The alarm back to OK: it recovered by itself (the detector re-checks too, before anything is done).
  compliant: (s) => s.State?.alarmState === 'OK',
  cannotFix(s, io) {
    if (s.recoverAction) return undefined;
    const why = stopStartRefusal(s, io);
    return (
      why &&
      `alarm has no ec2:recover action and ${io.resource.resourceId} cannot be stopped and started: ${why}`
    );
  },
  // Recovered: running with both status checks passing.
  stillWrong: (s) =>
    s.state === 'running' && s.State?.systemStatus === 'ok' && s.State?.instanceStatus === 'ok'
      ? undefined
      : 'not yet running with both status checks ok',
  // EC2 runs its status checks once a minute and a recovery or a stop and start takes minutes: read back slowly.
  verifyBackoff: { firstIntervalMs: 10_000, maximumIntervalMs: 30_000 },

  steps: [
    {
      id: 'stop-instance',
      title: 'StopInstances (EBS-backed, outside an ASG, by policy)',
      onFailure: 'compensate',
      plan: (s, { resource }) => (s.recoverAction ? undefined : `StopInstances ${resource.resourceId}`),
      // Once per finding: the tag says this finding's stop was made (the instance may be running again by now).
      needed: (s, _prior, { finding }) => s.stopStartFor !== marker(finding),
      async apply(io, current) {
        const { client, resource, finding, abortSignal } = io;
        const InstanceIds = [resource.resourceId];
        // An attempt that timed out may have left it stopping or stopped: it is waited for, not stopped again.
        if (current.state !== 'stopping' && current.state !== 'stopped') {
          await client(EC2Client).send(new StopInstancesCommand({ InstanceIds }), { abortSignal });
        }
        await waitFor(io, 'stopped');
        // The record once it has stopped: a tag never claims a stop that did not happen.
        await client(EC2Client).send(
          new CreateTagsCommand({
            Resources: InstanceIds,
            Tags: [{ Key: STOP_START_TAG, Value: marker(finding) }],
          }),
          { abortSignal },
        );
        return { changed: true, detail: 'stopped' };
      },
      async undo(io, prior, current) {
        // Whatever failed, an instance left stopped is the worst outcome: start it; and the record of this finding's
        // stop goes back to what it was (another finding's, or none).
        const started = await start(io, current);
        const ours = current.stopStartFor === marker(io.finding);
        const Resources = [io.resource.resourceId];
        const before = prior.stopStartFor ?? null;
        if (ours && before === null) {
          await io
            .client(EC2Client)
            .send(new DeleteTagsCommand({ Resources, Tags: [{ Key: STOP_START_TAG }] }), {
              abortSignal: io.abortSignal,
            });
        } else if (ours && before !== null) {
          await io
            .client(EC2Client)
            .send(new CreateTagsCommand({ Resources, Tags: [{ Key: STOP_START_TAG, Value: before }] }), {
              abortSignal: io.abortSignal,
            });
        }
        if (!started && !ours) return { changed: false, detail: 'running' };
        return {
          changed: true,
          detail: `${started ? 'started again' : 'running'}${ours ? ', the record of the stop restored' : ''}`,
        };
      },
    },
    {
      id: 'start-instance',
      title: 'StartInstances',
      onFailure: 'compensate',
      plan: (s, { resource }) => (s.recoverAction ? undefined : `StartInstances ${resource.resourceId}`),
      needed: (s) => s.state !== 'running',
      async apply(io, current) {
        await start(io, current);
        return { changed: true, detail: 'started' };
      },
      async undo(io, _prior, current) {
        return (await start(io, current))
          ? { changed: true, detail: 'started again' }
          : { changed: false, detail: 'running' };
      },
    },
  ],
});
