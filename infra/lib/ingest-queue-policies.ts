/**
 * Who may put messages on the ingest queue and its dead-letter queue, and who may take them off: only the EventBridge
 * rules feed the queue, only the ingest role reads it, and only the rules' failed deliveries and the ingest role write
 * to the dead-letter queue. Allows alone do not do that: any principal of the account whose identity policy grants
 * sqs:SendMessage could inject a finding. So each queue also carries explicit denies, which no identity policy can
 * grant back.
 *
 * How the denies tell principals apart:
 * - `aws:SourceArn` is set only when a service acts for a resource (EventBridge for a rule). An IAM principal's
 *   request has no such key, and a negated operator (`ArnNotEquals`) on a missing key is true: the deny applies.
 * - `aws:PrincipalArn` of a role session is the role's ARN, so the ingest role is exempt whichever session runs it.
 * Keys under one operator are ANDed: a request is denied only when it matches none of the exceptions.
 *
 * Only the message actions are denied; attributes, policies, purging and deletion stay with administrators. The
 * existing statements (the rules' allows, CDK's enforceSSL deny) are kept.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

/** What the policies are written for. */
export interface IngestQueuePoliciesProps {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  /** The rules targeting the queue (each with the dead-letter queue as its target's DLQ). */
  readonly rules: readonly events.Rule[];
  /** The ingest bridge's role: the one reader of the queue and writer to the dead-letter queue besides the rules. */
  readonly ingestRole: iam.IRole;
}

/** The message actions a consumer performs on the queue. */
export const CONSUMER_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'];

/** Adds the dead-letter queue's allow for the rules and the denies on both queues. */
export function restrictIngestQueues(props: IngestQueuePoliciesProps): void {
  const { queue, deadLetterQueue, rules, ingestRole } = props;
  const ruleArns = rules.map((rule) => rule.ruleArn);

  // EventBridge puts an event it could not deliver (after its retries) on the target's DLQ, as the rule.
  deadLetterQueue.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowRuleDeliveryFailures',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['sqs:SendMessage'],
      resources: [deadLetterQueue.queueArn],
      conditions: { ArnEquals: { 'aws:SourceArn': ruleArns } },
    }),
  );

  queue.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DenySendExceptTheRules',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['sqs:SendMessage'],
      resources: [queue.queueArn],
      conditions: { ArnNotEquals: { 'aws:SourceArn': ruleArns } },
    }),
  );
  queue.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DenyConsumeExceptTheIngestRole',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: CONSUMER_ACTIONS,
      resources: [queue.queueArn],
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': ingestRole.roleArn } },
    }),
  );
  // Reading the dead-letter queue stays open to operators (they inspect ErrorReason); writing does not.
  deadLetterQueue.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DenySendExceptTheRulesAndTheIngestRole',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['sqs:SendMessage'],
      resources: [deadLetterQueue.queueArn],
      conditions: {
        ArnNotEquals: { 'aws:SourceArn': ruleArns, 'aws:PrincipalArn': ingestRole.roleArn },
      },
    }),
  );
}
