/**
 * `remediator setup-local`: creates on an AWS emulator (moto) what the worker and the ingest bridge expect — the
 * ingest queue with its dead-letter queue, the detector-events rule, the outcome and on-call topics, the audit bucket —
 * and prints their addresses as the environment variables that name them. The one-shot `setup` service of
 * docker-compose.yml runs it before the worker and ingest start. Idempotent: a second run finds the same resources.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { AwsClients } from '../aws/clients';
import { ConfigError } from '../config';
import type { AwsSettings } from '../config';
import { createLocalResources } from '../devstack/local-resources';
import type { LocalResources } from '../devstack/local-resources';

/** Options of setup-local. */
export interface SetupLocalOptions {
  /** Prefix of every resource name (`<prefix>-ingest`, `<prefix>-notify`, ...). */
  readonly prefix: string;
}

/**
 * Creates (or finds) the local resources on the emulator named by `AWS_ENDPOINT_URL`. Refuses without an endpoint:
 * these are emulator conveniences (an SQS inbox on each topic, an open queue policy); real accounts get them from
 * the CDK app in infra/.
 */
export async function setupLocal(aws: AwsSettings, options: SetupLocalOptions): Promise<LocalResources> {
  if (!aws.endpoint) {
    throw new ConfigError(
      'AWS_ENDPOINT_URL is not set: setup-local only creates resources on an emulator such as moto (use infra/ for AWS)',
    );
  }
  const clients = new AwsClients({ endpoint: aws.endpoint });
  const events = new EventBridgeClient({ region: aws.region, endpoint: aws.endpoint });
  try {
    return await createLocalResources(
      {
        sqs: clients.sqs(aws.region),
        sns: clients.sns(aws.region),
        s3: clients.s3('self', aws.region),
        events,
      },
      options.prefix,
    );
  } finally {
    events.destroy();
    clients.destroy();
  }
}

/** What setup-local prints: `export` lines a shell can `eval`, then comments for the parts no variable names. */
export function formatLocalResources(resources: LocalResources, aws: AwsSettings): string[] {
  return [
    `# created or found on ${aws.endpoint ?? 'AWS'} in ${aws.region}:`,
    `export INGEST_QUEUE_URL=${resources.ingestQueueUrl}`,
    `export INGEST_DLQ_URL=${resources.deadLetterQueueUrl}`,
    `export NOTIFY_TOPIC_ARN=${resources.notifyTopicArn}`,
    `export ONCALL_TOPIC_ARN=${resources.oncallTopicArn}`,
    `export AUDIT_BUCKET=${resources.auditBucket}`,
    `# EventBridge rule ${resources.ruleName} on the default bus delivers detector events to the ingest queue`,
    `# SQS inboxes subscribed to the topics: ${resources.notifyInboxUrl} ${resources.oncallInboxUrl}`,
  ];
}
