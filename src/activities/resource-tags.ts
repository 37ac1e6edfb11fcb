/**
 * Reads a resource's tags, for the exemption tag and to tell infrastructure-as-code managed resources apart. One
 * read per resource type; a resource without tags (or gone) has none.
 */
import { DescribeTagsCommand as DescribeAsgTagsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeTagsCommand } from '@aws-sdk/client-ec2';
import { ListUserTagsCommand } from '@aws-sdk/client-iam';
import { GetBucketTaggingCommand } from '@aws-sdk/client-s3';
import type { AwsClients } from '../aws/clients';
import type { Finding } from '../domain/finding';
import { awsErrorName, isNotFound } from './aws-errors';

type Tags = Record<string, string>;

const toTags = (list: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): Tags =>
  Object.fromEntries((list ?? []).filter((t) => t.Key).map((t) => [t.Key ?? '', t.Value ?? '']));

/** The tags of the finding's resource (for an access key: its user's). */
export async function resourceTags(
  clients: AwsClients,
  finding: Finding,
  abortSignal?: AbortSignal,
): Promise<Tags> {
  const { account, region, resourceType, resourceId } = finding.resource;
  const opts = { abortSignal };
  try {
    switch (resourceType) {
      case 'AWS::S3::Bucket':
        return toTags(
          (await clients.s3(account, region).send(new GetBucketTaggingCommand({ Bucket: resourceId }), opts))
            .TagSet,
        );
      case 'AWS::EC2::Instance':
      case 'AWS::EC2::SecurityGroup':
        return toTags(
          (
            await clients
              .ec2(account, region)
              .send(
                new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [resourceId] }] }),
                opts,
              )
          ).Tags,
        );
      case 'AWS::AutoScaling::AutoScalingGroup':
        return toTags(
          (
            await clients.autoscaling(account, region).send(
              new DescribeAsgTagsCommand({
                Filters: [{ Name: 'auto-scaling-group', Values: [resourceId] }],
              }),
              opts,
            )
          ).Tags,
        );
      case 'AWS::IAM::AccessKey': {
        const userName = finding.details.userName;
        if (!userName || finding.details.userType !== 'IAMUser') return {};
        return toTags(
          (await clients.iam(account).send(new ListUserTagsCommand({ UserName: userName }), opts)).Tags,
        );
      }
      default:
        return {};
    }
  } catch (err) {
    // No tag set, or the resource is gone (the analysis already decided what that means).
    if (isNotFound(err) || awsErrorName(err) === 'NoSuchTagSet') return {};
    throw err;
  }
}
