/**
 * Playbook `asg-scale-out`: high CPU on an Auto Scaling group (CloudWatch ALARM). When the alarm has its own scaling
 * action, the playbook does not race it: it verifies that the alarm returns to OK within the window (the propagation
 * wait). Otherwise it raises the desired capacity by one, within the group's maximum, and verifies the same way. An
 * availability playbook: its compensation restores the recorded capacity.
 */
import { DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { AwsClients } from '../../aws/clients';
import type { Finding } from '../../domain/finding';
import type { Analysis, StepResult, Verification } from '../../domain/remediation';
import { classified } from '../aws-errors';
import type { CallContext, PlaybookHandler } from './playbook-handler';
import { assertKnownStep } from './steps';

/** What this playbook records before changing anything. */
export interface CapacityPrior extends Record<string, unknown> {
  readonly desiredCapacity: number;
  readonly maxSize: number;
}

const STEP = 'raise-desired-capacity';

/** True for an alarm action that runs an Auto Scaling policy. */
export function isScalingAction(action: string): boolean {
  return /^arn:aws[a-z-]*:autoscaling:[a-z0-9-]+:\d{12}:scalingPolicy:/.test(action);
}

/** Builds the playbook from the shared client factory. */
export function asgScaleOut(clients: AwsClients): PlaybookHandler {
  const asgFor = (f: Finding): AutoScalingClient =>
    clients.autoscaling(f.resource.account, f.resource.region);
  const opts = (ctx: CallContext) => ({ abortSignal: ctx.abortSignal });

  async function group(f: Finding, ctx: CallContext) {
    const out = await asgFor(f).send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [f.resource.resourceId] }),
      opts(ctx),
    );
    return out.AutoScalingGroups?.[0];
  }

  async function alarm(f: Finding, ctx: CallContext) {
    const name = f.details.alarmName;
    if (!name) return undefined;
    const out = await clients
      .cloudwatch(f.resource.account, f.resource.region)
      .send(new DescribeAlarmsCommand({ AlarmNames: [name] }), opts(ctx));
    return out.MetricAlarms?.[0];
  }

  return {
    async analyze(f, ctx): Promise<Analysis> {
      const name = f.resource.resourceId;
      return classified('analyse Auto Scaling group', async () => {
        const g = await group(f, ctx);
        if (!g)
          return {
            verdict: 'no_action',
            reason: `Auto Scaling group ${name} no longer exists`,
            plan: [],
            observed: {},
          };
        const a = await alarm(f, ctx);
        if (a?.StateValue === 'OK')
          return {
            verdict: 'no_action',
            reason: `alarm ${a.AlarmName ?? '?'} is already OK`,
            plan: [],
            observed: {},
          };
        const desired = g.DesiredCapacity ?? 0;
        const max = g.MaxSize ?? 0;
        if ((a?.AlarmActions ?? []).some(isScalingAction)) {
          return {
            verdict: 'remediate',
            reason: `alarm ${a?.AlarmName ?? '?'} runs its own scaling policy: verifying it brings the alarm back to OK`,
            plan: [],
            observed: { desired, max },
          };
        }
        if (desired >= max) {
          return {
            verdict: 'cannot_fix',
            reason: `${name} is at its maximum size (${max}); capacity needs a person`,
            plan: [],
            observed: { desired, max },
          };
        }
        return {
          verdict: 'remediate',
          reason: `${name} is under load and the alarm has no scaling action`,
          plan: [
            {
              step: STEP,
              description: `SetDesiredCapacity ${name}: ${desired} → ${desired + 1} (max ${max})`,
            },
          ],
          observed: { desired, max },
        };
      });
    },

    async capturePriorState(f, ctx): Promise<CapacityPrior> {
      return classified('record capacity', async () => {
        const g = await group(f, ctx);
        return { desiredCapacity: g?.DesiredCapacity ?? 0, maxSize: g?.MaxSize ?? 0 };
      });
    },

    async applyStep(step, f, prior, ctx): Promise<StepResult> {
      assertKnownStep('asg-scale-out', step, [STEP]);
      const recorded = prior as CapacityPrior;
      const target = Math.min(recorded.desiredCapacity + 1, recorded.maxSize);
      return classified('raise desired capacity', async () => {
        const current = (await group(f, ctx))?.DesiredCapacity ?? 0;
        if (current >= target) return { step, changed: false, detail: `desired capacity already ${current}` };
        await asgFor(f).send(
          new SetDesiredCapacityCommand({
            AutoScalingGroupName: f.resource.resourceId,
            DesiredCapacity: target,
          }),
          opts(ctx),
        );
        return { step, changed: true, detail: `desired capacity ${current} → ${target}` };
      });
    },

    async compensateStep(step, f, prior, ctx): Promise<StepResult> {
      assertKnownStep('asg-scale-out', step, [STEP]);
      const recorded = prior as CapacityPrior;
      return classified('restore desired capacity', async () => {
        const current = (await group(f, ctx))?.DesiredCapacity ?? 0;
        if (current === recorded.desiredCapacity)
          return { step, changed: false, detail: 'already as recorded' };
        await asgFor(f).send(
          new SetDesiredCapacityCommand({
            AutoScalingGroupName: f.resource.resourceId,
            DesiredCapacity: recorded.desiredCapacity,
          }),
          opts(ctx),
        );
        return { step, changed: true, detail: `desired capacity ${current} → ${recorded.desiredCapacity}` };
      });
    },

    async verify(f, ctx): Promise<Verification> {
      return classified('verify alarm state', async () => {
        const a = await alarm(f, ctx);
        const passed = a?.StateValue === 'OK';
        return {
          passed,
          detail: `DescribeAlarms ${f.details.alarmName ?? '?'}: ${a?.StateValue ?? 'missing'}`,
          observed: { state: a?.StateValue ?? null },
          at: new Date().toISOString(),
        };
      });
    },
  };
}
