/**
 * EC2 arrangements on moto.
 */
import { DescribeImagesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import type { RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { FIXTURE_REGION, TEST_CREDENTIALS } from './aws';

/** A raw EC2 client on moto. */
export function motoEc2(endpoint: string, region = FIXTURE_REGION): EC2Client {
  return new EC2Client({ endpoint, region, credentials: TEST_CREDENTIALS });
}

/** Launches one instance from any image moto offers and returns its id. */
export async function launchInstance(
  ec2: EC2Client,
  extra: Partial<RunInstancesCommandInput> = {},
): Promise<string> {
  const images = await ec2.send(new DescribeImagesCommand({}));
  const imageId = images.Images?.find((i) => i.ImageId)?.ImageId;
  if (!imageId) throw new Error('moto offers no AMI');
  const out = await ec2.send(
    new RunInstancesCommand({
      ImageId: imageId,
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1,
      ...extra,
    }),
  );
  const id = out.Instances?.[0]?.InstanceId;
  if (!id) throw new Error('RunInstances returned no instance');
  return id;
}
