/**
 * AWS clients pointed at a suite's moto, with test credentials.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, GetPublicAccessBlockCommand, S3Client } from '@aws-sdk/client-s3';
import type { PublicAccessBlockConfiguration } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Message } from '@aws-sdk/client-sqs';
import { AwsClients } from '../../src/aws/clients';

/** moto accepts any credentials; these never leave the machine. */
export const TEST_CREDENTIALS = async () => ({ accessKeyId: 'testing', secretAccessKey: 'testing' });

/** Region of the shared fixtures. */
export const FIXTURE_REGION = 'ap-northeast-1';
/** Account of the shared fixtures (also moto's default account). */
export const FIXTURE_ACCOUNT = '123456789012';

/** The product's client factory on moto. */
export function motoClients(endpoint: string): AwsClients {
  return new AwsClients({ endpoint, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
}

/** Plain SDK clients on moto for arranging and asserting. */
export function rawClients(endpoint: string, region = FIXTURE_REGION) {
  const common = { endpoint, region, credentials: TEST_CREDENTIALS };
  return {
    s3: new S3Client({ ...common, forcePathStyle: true }),
    sqs: new SQSClient(common),
    sns: new SNSClient(common),
    events: new EventBridgeClient(common),
  };
}

/** Creates a bucket in the region (outside us-east-1 S3 needs a location constraint). */
export async function createBucket(s3: S3Client, bucket: string, region = FIXTURE_REGION): Promise<void> {
  await s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      ...(region === 'us-east-1'
        ? {}
        : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
    }),
  );
}

/** A bucket's public access block, or null when it has none. */
export async function publicAccessBlockOf(
  s3: S3Client,
  bucket: string,
): Promise<PublicAccessBlockConfiguration | null> {
  try {
    return (
      (await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration ??
      null
    );
  } catch (err) {
    if ((err as Error).name === 'NoSuchPublicAccessBlockConfiguration') return null;
    throw err;
  }
}

/** Receives from a queue until `count` messages arrived or `timeoutMs` passed. */
export async function drainQueue(
  sqs: SQSClient,
  queueUrl: string,
  count: number,
  timeoutMs = 20_000,
): Promise<Message[]> {
  const found: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (found.length < count && Date.now() < deadline) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    found.push(...(out.Messages ?? []));
  }
  return found;
}

/** A queue's visible and in-flight message counts (`[ApproximateNumberOfMessages, …NotVisible]`). */
export async function visibleAndInFlight(sqs: SQSClient, queueUrl: string): Promise<[number, number]> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return [
    Number(out.Attributes?.ApproximateNumberOfMessages),
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible),
  ];
}
