/**
 * Conformance setup of `ec2-vpc-flow-logs`: a fresh VPC that only logs accepted traffic to an S3 bucket (so rollback
 * must keep that flow log and delete only the one the fix adds), or one that already logs all traffic. The policy names
 * a CloudWatch Logs destination and its delivery role (moto checks neither).
 */
import { CreateFlowLogsCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { ec2VpcFlowLogs } from '../../../src/playbooks/ec2-vpc-flow-logs';
import { createBucket, TEST_CREDENTIALS } from '../../helpers/aws';
import { resourceFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

const finding = (env: ConformanceEnv, vpcId: string) =>
  resourceFinding(env, 'vpc-flow-logs-enabled', 'AWS::EC2::VPC', vpcId);

async function vpc(env: ConformanceEnv, logged: boolean) {
  const common = { endpoint: env.endpoint, region: env.region, credentials: TEST_CREDENTIALS };
  const ec2 = new EC2Client(common);
  const s3 = new S3Client({ ...common, forcePathStyle: true });
  try {
    const id = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.40.0.0/16' }))).Vpc!.VpcId!;
    if (logged) {
      await ec2.send(
        new CreateFlowLogsCommand({
          ResourceIds: [id],
          ResourceType: 'VPC',
          TrafficType: 'ALL',
          LogDestinationType: 'cloud-watch-logs',
          LogDestination: `arn:aws:logs:${env.region}:${env.account}:log-group:${env.unique}-all`,
          DeliverLogsPermissionArn: `arn:aws:iam::${env.account}:role/flow-logs-delivery`,
        }),
      );
    } else {
      const bucket = `${env.unique}-accepted-flows`;
      await createBucket(s3, bucket, env.region);
      await ec2.send(
        new CreateFlowLogsCommand({
          ResourceIds: [id],
          ResourceType: 'VPC',
          TrafficType: 'ACCEPT',
          LogDestinationType: 's3',
          LogDestination: `arn:aws:s3:::${bucket}`,
        }),
      );
    }
    return finding(env, id);
  } finally {
    ec2.destroy();
    s3.destroy();
  }
}

export const setup: ConformanceSetup = {
  playbook: ec2VpcFlowLogs,
  options: {
    logDestinationType: 'cloud-watch-logs',
    logDestination: 'arn:aws:logs:ap-northeast-1:123456789012:log-group:vpc-flow-logs',
    deliverLogsPermissionArn: 'arn:aws:iam::123456789012:role/vpc-flow-logs-delivery',
  },
  // Without a destination the playbook only escalates: the end-to-end suite gives it its options too.
  optionsEndToEnd: true,
  events: ['config-vpc-flow-logs-enabled-noncompliant.json', 'securityhub-ec2.6-failed.json'],
  nonCompliant: (env) => vpc(env, false),
  compliant: (env) => vpc(env, true),
  gone: (env) => finding(env, 'vpc-0123456789abcdef0'),
};
