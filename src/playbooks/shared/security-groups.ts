/** Reading the security group a finding names, for the playbooks that change a group's rules. */
import { DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { SecurityGroup } from '@aws-sdk/client-ec2';
import { isNotFound } from '../../activities/aws-errors';
import type { KitIo } from '../../kit/playbook-kit';

/** The group the finding names, or `undefined` when EC2 does not know it (InvalidGroup.NotFound). */
export async function readSecurityGroup({
  client,
  resource,
  abortSignal,
}: KitIo): Promise<SecurityGroup | undefined> {
  try {
    const out = await client(EC2Client).send(
      new DescribeSecurityGroupsCommand({ GroupIds: [resource.resourceId] }),
      { abortSignal },
    );
    return out.SecurityGroups?.[0];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
