/**
 * Creates, on an emulator (moto), the AWS side the product expects: the ingest queue with its dead-letter queue, an
 * EventBridge rule on the default bus that delivers detector events to it, the outcome and on-call topics with an SQS
 * subscription each (so the demo and tests can read what was sent), and the audit bucket. Idempotent.
 */
import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import type { SNSClient } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';

/** Names and addresses of what was created. */
export interface LocalResources {
  readonly ingestQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly notifyTopicArn: string;
  readonly oncallTopicArn: string;
  /** SQS queues subscribed to the topics. */
  readonly notifyInboxUrl: string;
  readonly oncallInboxUrl: string;
  readonly auditBucket: string;
  readonly ruleName: string;
}

/** The EventBridge pattern for detector events that have normalisers. */
export const DETECTOR_EVENT_PATTERN = {
  source: ['aws.config', 'aws.guardduty', 'aws.cloudwatch', 'aws.securityhub'],
  'detail-type': [
    'Config Rules Compliance Change',
    'GuardDuty Finding',
    'CloudWatch Alarm State Change',
    'Security Hub Findings - Imported',
  ],
};

async function queue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string> = {},
): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error(`CreateQueue ${name} returned no URL`);
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const arn = attrs.Attributes?.QueueArn;
  if (!arn) throw new Error(`Queue ${name} has no ARN`);
  return { url: QueueUrl, arn };
}

/** Creates (or finds) every local resource, names prefixed with `prefix`. */
export async function createLocalResources(
  clients: { sqs: SQSClient; sns: SNSClient; s3: S3Client; events: EventBridgeClient },
  prefix = 'remediator',
): Promise<LocalResources> {
  const { sqs, sns, s3, events } = clients;
  const dlq = await queue(sqs, `${prefix}-ingest-dlq`);
  const ingest = await queue(sqs, `${prefix}-ingest`, {
    VisibilityTimeout: '60',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: '5' }),
  });
  // Let EventBridge deliver to the ingest queue (moto delivers regardless; real AWS needs this policy).
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: ingest.url,
      Attributes: {
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: ingest.arn,
            },
          ],
        }),
      },
    }),
  );
  const ruleName = `${prefix}-detector-events`;
  await events.send(
    new PutRuleCommand({
      Name: ruleName,
      EventPattern: JSON.stringify(DETECTOR_EVENT_PATTERN),
      State: 'ENABLED',
    }),
  );
  await events.send(
    new PutTargetsCommand({ Rule: ruleName, Targets: [{ Id: 'ingest-queue', Arn: ingest.arn }] }),
  );

  const topics: string[] = [];
  const inboxes: string[] = [];
  for (const name of ['notify', 'oncall']) {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `${prefix}-${name}` }));
    if (!TopicArn) throw new Error(`CreateTopic ${name} returned no ARN`);
    const inbox = await queue(sqs, `${prefix}-${name}-inbox`);
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: inbox.arn }));
    topics.push(TopicArn);
    inboxes.push(inbox.url);
  }
  const auditBucket = `${prefix}-audit`;
  await s3.send(new CreateBucketCommand({ Bucket: auditBucket })).catch((err: { name?: string }) => {
    if (err.name !== 'BucketAlreadyOwnedByYou') throw err;
  });
  return {
    ingestQueueUrl: ingest.url,
    deadLetterQueueUrl: dlq.url,
    notifyTopicArn: topics[0] ?? '',
    oncallTopicArn: topics[1] ?? '',
    notifyInboxUrl: inboxes[0] ?? '',
    oncallInboxUrl: inboxes[1] ?? '',
    auditBucket,
    ruleName,
  };
}
