/**
 * Playbook `sqs-queue-encrypted`: server-side encryption on for an SQS queue (Security Hub SQS.1, on
 * `AWS::SQS::Queue`). SQS.1's Config rule (`sqs-queue-encrypted`) is a Security Hub custom rule with no managed
 * source identifier, so only the Security Hub control routes here. A queue passes with SSE-SQS
 * (`SqsManagedSseEnabled`) or with a KMS key (`KmsMasterKeyId`), as SQS.1 does.
 *
 * The fix turns on SSE-SQS, which needs no key and no key policy: producers and consumers keep working unchanged.
 * With the option `kmsKeyId` (policy `playbooks.sqs-queue-encrypted.options.kmsKeyId`: a key id, ARN or alias) it
 * sets that key instead; the key's policy must then let the queue's producers and consumers use it, which is the
 * policy author's choice to make. Rollback sets both attributes back to the recorded values (an empty
 * `KmsMasterKeyId` removes a key the fix set).
 */
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { awsErrorName, isNotFound } from '../activities/aws-errors';
import { definePlaybook } from '../kit/playbook-kit';
import type { KitIo } from '../kit/playbook-kit';

const state = z.object({
  sqsManagedSseEnabled: z.boolean(),
  /** The KMS key of SSE-KMS, or null when the queue has none. */
  kmsMasterKeyId: z.string().nullable(),
});
type QueueEncryption = z.infer<typeof state>;

/** SQS names a missing queue `QueueDoesNotExist` (`AWS.SimpleQueueService.NonExistentQueue`). */
const queueGone = (err: unknown) =>
  isNotFound(err) ||
  ['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'].includes(awsErrorName(err));

const encrypted = (s: QueueEncryption) => s.sqsManagedSseEnabled || s.kmsMasterKeyId !== null;

/** The KMS key the policy names, or undefined for SSE-SQS. */
const kmsKeyOf = ({ options }: KitIo) =>
  typeof options.kmsKeyId === 'string' && options.kmsKeyId !== '' ? options.kmsKeyId : undefined;

async function queueUrl({ client, resource, abortSignal }: KitIo): Promise<string> {
  const out = await client(SQSClient).send(
    new GetQueueUrlCommand({ QueueName: resource.resourceId, QueueOwnerAWSAccountId: resource.account }),
    { abortSignal },
  );
  if (!out.QueueUrl) throw new Error(`GetQueueUrl gave no URL for ${resource.resourceId}`);
  return out.QueueUrl;
}

/** The attributes that take `current` back to `prior`: only those that differ (an empty key removes one). */
function restoring(prior: QueueEncryption, current: QueueEncryption): Record<string, string> {
  return {
    ...(prior.sqsManagedSseEnabled !== current.sqsManagedSseEnabled
      ? { SqsManagedSseEnabled: String(prior.sqsManagedSseEnabled) }
      : {}),
    ...(prior.kmsMasterKeyId !== current.kmsMasterKeyId
      ? { KmsMasterKeyId: prior.kmsMasterKeyId ?? '' }
      : {}),
  };
}

const describe = (s: QueueEncryption) =>
  s.kmsMasterKeyId !== null
    ? `encrypted with KMS key ${s.kmsMasterKeyId}`
    : s.sqsManagedSseEnabled
      ? 'encrypted with SSE-SQS'
      : 'not encrypted';

export const sqsQueueEncrypted = definePlaybook({
  id: 'sqs-queue-encrypted',
  title: 'Turn on server-side encryption of an SQS queue',
  kind: 'configuration',
  defaultMode: 'auto',
  roleFamily: 'configuration',
  resource: {
    type: 'AWS::SQS::Queue',
    // A queue name: 1–80 letters, digits, `-` and `_`; a FIFO queue's ends in `.fifo`.
    idPattern: /^(?:[A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)$/,
    securityHubType: 'AwsSqsQueue',
  },
  defaultSeverity: 5,
  triggers: { securityHubControls: ['SQS.1'] },
  iamActions: ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes', 'sqs:SetQueueAttributes'],
  state,

  async read(io) {
    try {
      const QueueUrl = await queueUrl(io);
      const attributes =
        (
          await io.client(SQSClient).send(
            new GetQueueAttributesCommand({
              QueueUrl,
              AttributeNames: ['SqsManagedSseEnabled', 'KmsMasterKeyId'],
            }),
            { abortSignal: io.abortSignal },
          )
        ).Attributes ?? {};
      const key = attributes.KmsMasterKeyId;
      return {
        sqsManagedSseEnabled: attributes.SqsManagedSseEnabled === 'true',
        kmsMasterKeyId: key === undefined || key === '' ? null : key,
      };
    } catch (err) {
      if (queueGone(err)) return undefined;
      throw err;
    }
  },
  describe,

  steps: [
    {
      id: 'enable-queue-encryption',
      title: 'SetQueueAttributes SqsManagedSseEnabled=true (or KmsMasterKeyId)',
      onFailure: 'compensate',
      plan(s, io) {
        if (encrypted(s)) return undefined;
        const key = kmsKeyOf(io);
        return key
          ? `SetQueueAttributes KmsMasterKeyId=${key} on ${io.resource.resourceId}`
          : `SetQueueAttributes SqsManagedSseEnabled=true on ${io.resource.resourceId}`;
      },
      async apply(io) {
        const key = kmsKeyOf(io);
        const QueueUrl = await queueUrl(io);
        await io.client(SQSClient).send(
          new SetQueueAttributesCommand({
            QueueUrl,
            Attributes: key ? { KmsMasterKeyId: key } : { SqsManagedSseEnabled: 'true' },
          }),
          { abortSignal: io.abortSignal },
        );
        return { changed: true, detail: key ? `KmsMasterKeyId=${key}` : 'SqsManagedSseEnabled=true' };
      },
      async undo(io, prior, current) {
        const Attributes = restoring(prior, current);
        if (Object.keys(Attributes).length === 0) return { changed: false, detail: 'already as recorded' };
        const QueueUrl = await queueUrl(io);
        await io
          .client(SQSClient)
          .send(new SetQueueAttributesCommand({ QueueUrl, Attributes }), { abortSignal: io.abortSignal });
        return { changed: true, detail: `SetQueueAttributes back to: ${describe(prior)}` };
      },
    },
  ],
});
