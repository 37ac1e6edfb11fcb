/**
 * Playbook `sns-topic-encrypted`: server-side encryption with KMS on for an SNS topic (Config `sns-encrypted-kms`,
 * source SNS_ENCRYPTED_KMS, on `AWS::SNS::Topic`; Security Hub SNS.1). Security Hub names the topic by its ARN (the
 * finding's id is the name after the ARN's last `:`); Config's id for a topic is its ARN. Both are accepted: a name is
 * made into the ARN of the resource's account and region.
 *
 * Option `kmsKeyId` (policy `playbooks.sns-topic-encrypted.options.kmsKeyId`: a key id, ARN or alias): the key to
 * use. Without it the topic gets `alias/aws/sns`, the AWS managed key for SNS, which needs no key policy of ours but
 * whose key policy nobody can change: AWS services that publish to topics (CloudWatch alarms, EventBridge, S3 event
 * notifications and others) and other accounts cannot use it, so their messages stop arriving. Hence approval by
 * default; a policy naming a customer managed key that grants its publishers `kms:GenerateDataKey*` and `kms:Decrypt`
 * may run it in `auto`.
 *
 * Rollback sets the recorded key back, or an empty `KmsMasterKeyId` when the topic had none. That an empty value
 * turns encryption off is what the console does but is not in the API reference (docs/catalogue-identifiers.md, open
 * items); moto 5.2.1 accepts it and then reports no `KmsMasterKeyId`.
 */
import { GetTopicAttributesCommand, SetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { isNotFound } from '../activities/aws-errors';
import { definePlaybook } from '../kit/playbook-kit';
import type { KitIo } from '../kit/playbook-kit';

/** The AWS managed key for SNS: what the fix uses when the policy names no key. */
const AWS_MANAGED_SNS_KEY = 'alias/aws/sns';

/** A topic name: 1–256 letters, digits, `-` and `_`; a FIFO topic's ends in `.fifo` (within the 256). */
const NAME = String.raw`[A-Za-z0-9_-]{1,256}|[A-Za-z0-9_-]{1,251}\.fifo`;
const ARN = String.raw`arn:aws(?:-[a-z]+)*:sns:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:(?:${NAME})`;
const TOPIC_ARN = new RegExp(`^${ARN}$`);

/** The topic's ARN: the id itself when Config gave the ARN, else built from the resource's account and region. */
function topicArn({ resource }: KitIo): string {
  const id = resource.resourceId;
  if (TOPIC_ARN.test(id)) {
    // The finding's account and region are what was confirmed and what the role is for: an ARN naming another
    // account's or region's topic is not this finding's resource (permanent: the kit classifies a client fault so).
    const [, , , region, account] = id.split(':');
    if (region !== resource.region || account !== resource.account) {
      throw Object.assign(
        new Error(
          `topic ${id} is not in the finding's account and region (${resource.account}/${resource.region})`,
        ),
        { name: 'ForeignTopic', $fault: 'client' as const },
      );
    }
    return id;
  }
  const partition = resource.region.startsWith('cn-')
    ? 'aws-cn'
    : resource.region.startsWith('us-gov-')
      ? 'aws-us-gov'
      : 'aws';
  return `arn:${partition}:sns:${resource.region}:${resource.account}:${id}`;
}

const keyOf = ({ options }: KitIo) =>
  typeof options.kmsKeyId === 'string' && options.kmsKeyId !== '' ? options.kmsKeyId : AWS_MANAGED_SNS_KEY;

async function setKey(io: KitIo, value: string) {
  await io.client(SNSClient).send(
    new SetTopicAttributesCommand({
      TopicArn: topicArn(io),
      AttributeName: 'KmsMasterKeyId',
      AttributeValue: value,
    }),
    { abortSignal: io.abortSignal },
  );
}

export const snsTopicEncrypted = definePlaybook({
  id: 'sns-topic-encrypted',
  title: 'Turn on KMS server-side encryption of an SNS topic',
  kind: 'configuration',
  defaultMode: 'approve',
  roleFamily: 'configuration',
  resource: {
    type: 'AWS::SNS::Topic',
    // The topic's name (Security Hub), or its ARN (Config).
    idPattern: new RegExp(`^(?:${NAME}|${ARN})$`),
    securityHubType: 'AwsSnsTopic',
  },
  defaultSeverity: 5,
  triggers: {
    configRules: { 'sns-encrypted-kms': { identifier: 'SNS_ENCRYPTED_KMS' } },
    securityHubControls: ['SNS.1'],
  },
  iamActions: ['sns:GetTopicAttributes', 'sns:SetTopicAttributes'],
  state: z.object({
    /** The topic's KMS key as SNS reports it, or null when it has none. */
    kmsMasterKeyId: z.string().nullable(),
  }),

  async read(io) {
    try {
      const out = await io
        .client(SNSClient)
        .send(new GetTopicAttributesCommand({ TopicArn: topicArn(io) }), { abortSignal: io.abortSignal });
      const key = out.Attributes?.KmsMasterKeyId;
      return { kmsMasterKeyId: key === undefined || key === '' ? null : key };
    } catch (err) {
      // SNS: `NotFound` (Topic does not exist).
      if (isNotFound(err)) return undefined;
      throw err;
    }
  },
  describe: (s) =>
    s.kmsMasterKeyId === null ? 'not encrypted' : `encrypted with KMS key ${s.kmsMasterKeyId}`,

  steps: [
    {
      id: 'set-topic-kms-key',
      title: 'SetTopicAttributes KmsMasterKeyId (the policy key, or alias/aws/sns)',
      onFailure: 'compensate',
      plan: (s, io) =>
        s.kmsMasterKeyId === null
          ? `SetTopicAttributes KmsMasterKeyId=${keyOf(io)} on ${topicArn(io)}`
          : undefined,
      async apply(io) {
        const key = keyOf(io);
        await setKey(io, key);
        return { changed: true, detail: `KmsMasterKeyId=${key}` };
      },
      async undo(io, prior, current) {
        if (prior.kmsMasterKeyId === current.kmsMasterKeyId)
          return { changed: false, detail: 'already as recorded' };
        await setKey(io, prior.kmsMasterKeyId ?? '');
        return {
          changed: true,
          detail:
            prior.kmsMasterKeyId === null
              ? 'KmsMasterKeyId emptied (it had none)'
              : `KmsMasterKeyId=${prior.kmsMasterKeyId} (as it was)`,
        };
      },
    },
  ],
});
