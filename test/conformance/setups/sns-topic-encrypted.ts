/**
 * Conformance setup of `sns-topic-encrypted`: a topic without a KMS key, or with one. The non-compliant finding names
 * the topic as Security Hub does (its name; the end-to-end suite puts it into both fixtures); the compliant and the
 * gone ones as Config does (the ARN), so both id forms are read.
 */
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { snsTopicEncrypted } from '../../../src/playbooks/sns-topic-encrypted';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import { resourceFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

const finding = (env: ConformanceEnv, topic: string) =>
  resourceFinding(env, 'sns-encrypted-kms', 'AWS::SNS::Topic', topic);

async function topic(env: ConformanceEnv, encrypted: boolean) {
  const sns = new SNSClient({ endpoint: env.endpoint, region: env.region, credentials: TEST_CREDENTIALS });
  try {
    const arn = (
      await sns.send(
        new CreateTopicCommand({
          Name: env.unique,
          ...(encrypted ? { Attributes: { KmsMasterKeyId: 'alias/aws/sns' } } : {}),
        }),
      )
    ).TopicArn!;
    return finding(env, encrypted ? arn : env.unique);
  } finally {
    sns.destroy();
  }
}

export const setup: ConformanceSetup = {
  playbook: snsTopicEncrypted,
  events: ['config-sns-encrypted-kms-noncompliant.json', 'securityhub-sns.1-failed.json'],
  nonCompliant: (env) => topic(env, false),
  compliant: (env) => topic(env, true),
  gone: (env) => finding(env, `arn:aws:sns:${env.region}:${env.account}:${env.unique}-gone`),
};
