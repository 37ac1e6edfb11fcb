/**
 * Conformance setup of `sqs-queue-encrypted`: a queue with no encryption at all, or with SSE-SQS. moto turns SSE-SQS
 * on for every new queue (as AWS does since 2022), so the non-compliant queue is made with it off explicitly.
 */
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sqsQueueEncrypted } from '../../../src/playbooks/sqs-queue-encrypted';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import { configFinding } from '../../helpers/fixtures';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

/** Only Security Hub reports SQS.1 (its Config rule has no managed identifier): a Security Hub finding. */
const finding = (env: ConformanceEnv, queueName: string) =>
  configFinding(
    'SQS.1',
    { account: env.account, region: env.region, resourceType: 'AWS::SQS::Queue', resourceId: queueName },
    { source: 'aws.securityhub', details: { complianceStatus: 'FAILED' } },
  );

async function queue(env: ConformanceEnv, encrypted: boolean) {
  const sqs = new SQSClient({ endpoint: env.endpoint, region: env.region, credentials: TEST_CREDENTIALS });
  try {
    await sqs.send(
      new CreateQueueCommand({
        QueueName: env.unique,
        Attributes: { SqsManagedSseEnabled: String(encrypted) },
      }),
    );
    return finding(env, env.unique);
  } finally {
    sqs.destroy();
  }
}

export const setup: ConformanceSetup = {
  playbook: sqsQueueEncrypted,
  events: ['securityhub-sqs.1-failed.json'],
  // Here the fix sets a KMS key (the policy's option); the end-to-end suite, which gives no options, turns on SSE-SQS.
  options: { kmsKeyId: 'alias/aws/sqs' },
  nonCompliant: (env) => queue(env, false),
  compliant: (env) => queue(env, true),
  gone: (env) => finding(env, `${env.unique}-gone`),
};
