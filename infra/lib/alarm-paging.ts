/**
 * What CloudWatch needs for the system alarms to page on-call through the KMS-encrypted on-call topic. An alarm action
 * is CloudWatch publishing to the topic as `cloudwatch.amazonaws.com`: the topic's policy must allow that publish (the
 * stack's topic policy replaces SNS's default one), and SNS encrypts the message with the topic's key on CloudWatch's
 * behalf, so the key policy must let CloudWatch use the key (`kms:Decrypt`, `kms:GenerateDataKey*`). Without either,
 * the alarm changes state and nobody hears of it. Both grants are scoped, as AWS recommends against the confused
 * deputy, to this account (`aws:SourceAccount`) and to exactly these alarms (`aws:SourceArn`).
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';

/** The ARN of an alarm of `scope`'s stack by name (known before the alarm exists: no dependency cycle via the key). */
export function alarmArn(scope: Construct, alarmName: string): string {
  const stack = Stack.of(scope);
  return stack.formatArn({
    service: 'cloudwatch',
    resource: 'alarm',
    resourceName: alarmName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** Lets the named alarms of `scope`'s stack publish to `topic`, encrypted with `key`. */
export function letAlarmsPage(
  scope: Construct,
  key: kms.IKey,
  topic: sns.Topic,
  alarmNames: readonly string[],
): void {
  const stack = Stack.of(scope);
  const conditions = {
    StringEquals: { 'aws:SourceAccount': stack.account },
    ArnLike: { 'aws:SourceArn': alarmNames.map((name) => alarmArn(scope, name)) },
  };
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToUseTheKey',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions,
    }),
  );
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions,
    }),
  );
}
