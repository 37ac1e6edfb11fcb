/**
 * The target groups an instance is registered in, found through what can send it traffic: its Auto Scaling group's
 * target groups and those of the load balancers in its VPCs, page by page. (A target group attached to no load
 * balancer routes nothing, so it is not looked for; scanning every group of the region took one long attempt.)
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import {
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type {
  ElasticLoadBalancingV2Client,
  TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';

/** One registration of the instance. */
export interface TargetRegistration {
  readonly targetGroupArn: string;
  readonly port: number | null;
}

/** Where to look. */
export interface TargetGroupLookup {
  readonly elb: ElasticLoadBalancingV2Client;
  readonly autoscaling: AutoScalingClient;
  readonly instanceId: string;
  readonly vpcIds: readonly string[];
  readonly autoScalingGroup: string | null;
  readonly abortSignal?: AbortSignal;
}

/** The instance's registrations, each target group asked once. */
export async function instanceTargetGroups(lookup: TargetGroupLookup): Promise<TargetRegistration[]> {
  const opts = lookup.abortSignal ? { abortSignal: lookup.abortSignal } : {};
  const arns = new Set<string>();
  if (lookup.autoScalingGroup) {
    const out = await lookup.autoscaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [lookup.autoScalingGroup] }),
      opts,
    );
    for (const arn of out.AutoScalingGroups?.[0]?.TargetGroupARNs ?? []) arns.add(arn);
  }
  let marker: string | undefined;
  do {
    const page = await lookup.elb.send(
      new DescribeLoadBalancersCommand({ ...(marker ? { Marker: marker } : {}) }),
      opts,
    );
    for (const lb of page.LoadBalancers ?? []) {
      if (!lb.LoadBalancerArn || !lb.VpcId || !lookup.vpcIds.includes(lb.VpcId)) continue;
      for (const arn of await targetGroupsOf(lookup.elb, lb.LoadBalancerArn, opts)) arns.add(arn);
    }
    marker = page.NextMarker;
  } while (marker);
  const found: TargetRegistration[] = [];
  for (const targetGroupArn of arns) {
    const health = await lookup.elb.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }),
      opts,
    );
    for (const d of health.TargetHealthDescriptions ?? []) {
      if (isRegistered(d, lookup.instanceId)) found.push({ targetGroupArn, port: d.Target?.Port ?? null });
    }
  }
  return found;
}

async function targetGroupsOf(
  elb: ElasticLoadBalancingV2Client,
  loadBalancerArn: string,
  opts: { abortSignal?: AbortSignal },
): Promise<string[]> {
  const arns: string[] = [];
  let marker: string | undefined;
  do {
    const page = await elb.send(
      new DescribeTargetGroupsCommand({
        LoadBalancerArn: loadBalancerArn,
        ...(marker ? { Marker: marker } : {}),
      }),
      opts,
    );
    for (const tg of page.TargetGroups ?? []) {
      if (tg.TargetGroupArn && tg.TargetType === 'instance') arns.push(tg.TargetGroupArn);
    }
    marker = page.NextMarker;
  } while (marker);
  return arns;
}

/**
 * Whether a target health description is a registration of `instanceId`: one being deregistered (`draining`, listed
 * for the deregistration delay) is not, so a rollback within the delay registers it again instead of taking it for
 * registered and leaving it out of the group once the delay ends.
 */
export function isRegistered(description: TargetHealthDescription, instanceId: string): boolean {
  return description.Target?.Id === instanceId && description.TargetHealth?.State !== 'draining';
}
