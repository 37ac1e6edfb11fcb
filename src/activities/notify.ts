/**
 * Notification activities: outcomes to `NOTIFY_TOPIC_ARN`, escalations to `ONCALL_TOPIC_ARN` (SNS).
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import { Context } from '@temporalio/activity';
import type { AuditRecord } from '../domain/audit-record';
import type { AwsClients } from '../aws/clients';
import { classified } from './aws-errors';
import { renderMessage } from './messages';
import type { UiLinkOptions } from './messages';
import { activityAbortSignal } from './abort-signal';

/** What the notifier needs: topics, the UI link base and the client factory. */
export interface NotifyDeps {
  readonly clients: AwsClients;
  readonly notifyTopicArn: string;
  readonly oncallTopicArn: string;
  readonly ui: UiLinkOptions;
}

/** Region encoded in a topic ARN (`arn:aws:sns:<region>:<account>:<name>`). */
export function topicRegion(topicArn: string): string {
  const region = topicArn.split(':')[3];
  if (!region) throw new Error(`Not an SNS topic ARN: ${topicArn}`);
  return region;
}

/** Builds `notifyOutcome` and `notifyOncall`. */
export function createNotifyActivities(deps: NotifyDeps) {
  async function publish(topicArn: string, record: AuditRecord): Promise<void> {
    const { subject, body } = renderMessage(record, deps.ui);
    const sns = deps.clients.sns(topicRegion(topicArn));
    await classified('publish notification', () =>
      sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: subject,
          Message: body,
          MessageAttributes: {
            status: { DataType: 'String', StringValue: record.status },
            playbook: { DataType: 'String', StringValue: record.playbook },
            workflowId: { DataType: 'String', StringValue: record.workflowId },
          },
        }),
        { abortSignal: activityAbortSignal() },
      ),
    );
    Context.current().log.info('Notification published', {
      topicArn,
      subject,
      workflowId: record.workflowId,
    });
  }

  return {
    /** Publishes an outcome (remediated, no action, dry run) to the outcomes topic. */
    async notifyOutcome(record: AuditRecord): Promise<void> {
      await publish(deps.notifyTopicArn, record);
    },
    /** Pages on-call with an escalation. */
    async notifyOncall(record: AuditRecord): Promise<void> {
      await publish(deps.oncallTopicArn, record);
    },
  };
}
