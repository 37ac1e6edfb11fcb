/**
 * Conformance setup of `ec2-isolate-instance`: a running instance in its VPC's own groups, termination protection
 * off, and a GuardDuty finding with it as the actor; or the same instance already isolated (every ENI in its VPC's
 * rule-free isolation group, termination protection on), which a re-sent finding leaves alone. The policy asks for
 * the stop after isolation, so the stop borrowed from the availability role runs through every case too (the
 * end-to-end suite gives no options: isolation alone). The instance's shutdown behaviour is `stop` from its launch:
 * moto ignores a change of it (test/integration/shutdown-behaviour-stand-in.test.ts tests that step).
 */
import {
  DescribeInstancesCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { randomUUID } from 'node:crypto';
import type { Finding } from '../../../src/domain/finding';
import { ec2IsolateInstance } from '../../../src/playbooks/ec2-isolate-instance';
import { ensureIsolationGroup } from '../../../src/playbooks/ec2-isolate-instance/isolation-groups';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import { launchInstance } from '../../helpers/ec2';
import { guardDutyFinding } from '../../helpers/fixtures';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

const finding = (env: ConformanceEnv, instanceId: string): Finding => {
  const base = guardDutyFinding('AWS::EC2::Instance', instanceId);
  return {
    ...base,
    resource: { ...base.resource, account: env.account, region: env.region },
    eventId: `evt-${env.unique}`,
    details: { guardDutyFindingId: `gd-${env.unique}`, resourceRole: 'ACTOR' },
  };
};

const ec2Of = (env: ConformanceEnv) =>
  new EC2Client({ endpoint: env.endpoint, region: env.region, credentials: TEST_CREDENTIALS });

async function instance(env: ConformanceEnv, isolated: boolean): Promise<Finding> {
  const ec2 = ec2Of(env);
  try {
    // No SecurityGroupIds (moto would append instead of replace on such ENIs).
    const instanceId = await launchInstance(ec2, { InstanceInitiatedShutdownBehavior: 'stop' });
    if (isolated) {
      const launched = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })))
        .Reservations?.[0]?.Instances?.[0];
      for (const eni of launched?.NetworkInterfaces ?? []) {
        const { groupId } = await ensureIsolationGroup(ec2, eni.VpcId ?? launched?.VpcId ?? '', {});
        await ec2.send(
          new ModifyNetworkInterfaceAttributeCommand({
            NetworkInterfaceId: eni.NetworkInterfaceId,
            Groups: [groupId],
          }),
        );
      }
      await ec2.send(
        new ModifyInstanceAttributeCommand({
          InstanceId: instanceId,
          DisableApiTermination: { Value: true },
        }),
      );
    }
    return finding(env, instanceId);
  } finally {
    ec2.destroy();
  }
}

export const setup: ConformanceSetup = {
  playbook: ec2IsolateInstance,
  options: { stopAfterIsolation: true },
  events: ['guardduty-ec2-unauthorized-access.json', 'guardduty-ec2-cryptocurrency.json'],
  nonCompliant: (env) => instance(env, false),
  compliant: (env) => instance(env, true),
  gone: (env) => finding(env, `i-${randomUUID().replace(/-/g, '').slice(0, 17)}`),
};
