/**
 * Playbook `ec2-instance-recovery`: an instance whose system status check fails (CloudWatch `StatusCheckFailed_System`
 * ALARM). It never races the alarm's own `ec2:recover` action or EC2's automatic recovery: when the alarm has that
 * action, the playbook only verifies that the status checks come back (the propagation wait is the recovery window)
 * and escalates if they do not. Without it, and only when the policy option `stopStartWithoutRecoverAction` is on,
 * an EBS-backed instance outside an Auto Scaling group is stopped and started (moving it to healthy hardware).
 */
import { DescribeAutoScalingInstancesCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeInstanceStatusCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../aws/clients';
import type { Finding } from '../../domain/finding';
import type { Analysis, StepResult, Verification } from '../../domain/remediation';
import { classified } from '../aws-errors';
import type { CallContext, PlaybookHandler } from './playbook-handler';
import { describeInstance, isGone } from './ec2-instances';
import { assertKnownStep } from './steps';

const STEPS = ['stop-instance', 'start-instance'];

/** True for an alarm action that makes EC2 recover the instance. */
export function isRecoverAction(action: string): boolean {
  return /^arn:aws[a-z-]*:automate:[a-z0-9-]+:ec2:recover$/.test(action);
}

/** Builds the playbook from the shared client factory. */
export function ec2InstanceRecovery(clients: AwsClients): PlaybookHandler {
  const ec2For = (f: Finding): EC2Client => clients.ec2(f.resource.account, f.resource.region);
  const opts = (ctx: CallContext) => ({ abortSignal: ctx.abortSignal });

  async function alarmActions(f: Finding, ctx: CallContext): Promise<string[]> {
    const name = f.details.alarmName;
    if (!name) return [];
    const out = await clients
      .cloudwatch(f.resource.account, f.resource.region)
      .send(new DescribeAlarmsCommand({ AlarmNames: [name] }), opts(ctx));
    return out.MetricAlarms?.[0]?.AlarmActions ?? [];
  }

  async function waitForState(ec2: EC2Client, id: string, want: string, ctx: CallContext): Promise<void> {
    // Bounded well inside the activity timeout; if EC2 is slower, the retried step finds it further along.
    for (let i = 0; i < 20; i += 1) {
      if ((await describeInstance(ec2, id, ctx))?.State?.Name === want) return;
      await new Promise((r) => setTimeout(r, 2000));
    }
    throw Object.assign(new Error(`instance ${id} did not reach ${want} yet`), {
      name: 'InstanceStateTransition',
      $fault: 'server',
    });
  }

  return {
    async analyze(f, ctx): Promise<Analysis> {
      const id = f.resource.resourceId;
      return classified('analyse instance recovery', async () => {
        const instance = await describeInstance(ec2For(f), id, ctx);
        const state = instance?.State?.Name;
        if (!instance || isGone(instance)) {
          return {
            verdict: 'no_action',
            reason: `instance ${id} no longer exists`,
            plan: [],
            observed: { state },
          };
        }
        const actions = await alarmActions(f, ctx);
        if (actions.some(isRecoverAction)) {
          return {
            verdict: 'remediate',
            reason: `alarm ${f.details.alarmName ?? '?'} has an ec2:recover action: verifying that EC2 recovers ${id}`,
            plan: [],
            observed: { state, alarmActions: actions },
          };
        }
        const inAsg = (
          await clients
            .autoscaling(f.resource.account, f.resource.region)
            .send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [id] }), opts(ctx))
        ).AutoScalingInstances?.length;
        const allowed = ctx.options?.stopStartWithoutRecoverAction === true;
        if (!allowed || inAsg || instance.RootDeviceType !== 'ebs') {
          const why = !allowed
            ? 'the policy does not allow stop/start (stopStartWithoutRecoverAction)'
            : inAsg
              ? 'it is in an Auto Scaling group, which replaces unhealthy instances itself'
              : 'it is instance-store backed (stopping loses its data)';
          return {
            verdict: 'cannot_fix',
            reason: `alarm has no ec2:recover action and ${id} cannot be stopped and started: ${why}`,
            plan: [],
            observed: { state },
          };
        }
        return {
          verdict: 'remediate',
          reason: `alarm has no ec2:recover action; stop and start move ${id} to healthy hardware`,
          plan: [
            { step: 'stop-instance', description: `StopInstances ${id}` },
            { step: 'start-instance', description: `StartInstances ${id}` },
          ],
          observed: { state },
        };
      });
    },

    async capturePriorState(f, ctx) {
      return classified('record instance state', async () => ({
        state: (await describeInstance(ec2For(f), f.resource.resourceId, ctx))?.State?.Name ?? 'unknown',
      }));
    },

    async applyStep(step, f, _prior, ctx): Promise<StepResult> {
      assertKnownStep('ec2-instance-recovery', step, STEPS);
      const ec2 = ec2For(f);
      const id = f.resource.resourceId;
      return classified(step, async () => {
        const state = (await describeInstance(ec2, id, ctx))?.State?.Name;
        if (step === 'stop-instance') {
          if (state === 'stopped') return { step, changed: false, detail: 'already stopped' };
          await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }), opts(ctx));
          await waitForState(ec2, id, 'stopped', ctx);
          return { step, changed: true, detail: 'stopped' };
        }
        if (state === 'running') return { step, changed: false, detail: 'already running' };
        await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }), opts(ctx));
        await waitForState(ec2, id, 'running', ctx);
        return { step, changed: true, detail: 'started' };
      });
    },

    async compensateStep(step, f, _prior, ctx): Promise<StepResult> {
      assertKnownStep('ec2-instance-recovery', step, STEPS);
      const ec2 = ec2For(f);
      const id = f.resource.resourceId;
      // Whatever failed, an instance left stopped is the worst outcome: start it.
      return classified(`undo ${step}`, async () => {
        if ((await describeInstance(ec2, id, ctx))?.State?.Name === 'running')
          return { step, changed: false, detail: 'running' };
        await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }), opts(ctx));
        return { step, changed: true, detail: 'started again' };
      });
    },

    async verify(f, ctx): Promise<Verification> {
      const id = f.resource.resourceId;
      return classified('verify instance status checks', async () => {
        const out = await ec2For(f).send(
          new DescribeInstanceStatusCommand({ InstanceIds: [id], IncludeAllInstances: true }),
          opts(ctx),
        );
        const status = out.InstanceStatuses?.[0];
        const state = status?.InstanceState?.Name;
        const system = status?.SystemStatus?.Status;
        const instanceStatus = status?.InstanceStatus?.Status;
        const passed = state === 'running' && system === 'ok' && instanceStatus === 'ok';
        return {
          passed,
          detail: `DescribeInstanceStatus ${id}: ${state ?? '?'}, system ${system ?? '?'}, instance ${instanceStatus ?? '?'}`,
          observed: { state: state ?? null, system: system ?? null, instance: instanceStatus ?? null },
          at: new Date().toISOString(),
        };
      });
    },
  };
}
