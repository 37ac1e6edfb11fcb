/**
 * Instance lookups shared by the EC2 playbooks.
 */
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import { isNotFound } from '../aws-errors';
import type { CallContext } from './playbook-handler';

/** The instance, or `undefined` when EC2 does not know it (InvalidInstanceID.NotFound). */
export async function describeInstance(
  ec2: EC2Client,
  instanceId: string,
  ctx: CallContext,
): Promise<Instance | undefined> {
  try {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }), {
      abortSignal: ctx.abortSignal,
    });
    return out.Reservations?.[0]?.Instances?.[0];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The instance; a missing one fails as InvalidInstanceID.NotFound (non-retryable once classified). */
export async function requireInstance(
  ec2: EC2Client,
  instanceId: string,
  ctx: CallContext,
): Promise<Instance> {
  const instance = await describeInstance(ec2, instanceId, ctx);
  if (!instance) {
    throw Object.assign(new Error(`instance ${instanceId} not found`), {
      name: 'InvalidInstanceID.NotFound',
      $fault: 'client',
    });
  }
  return instance;
}

/** True when the instance is gone or going. */
export function isGone(instance: Instance | undefined): boolean {
  const state = instance?.State?.Name;
  return !instance || state === 'terminated' || state === 'shutting-down';
}
