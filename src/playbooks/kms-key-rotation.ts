/**
 * Playbook `kms-key-rotation`: automatic yearly rotation on for a customer managed KMS key (Config
 * `cmk-backing-key-rotation-enabled`, source CMK_BACKING_KEY_ROTATION_ENABLED, on `AWS::KMS::Key`; Security Hub
 * KMS.4). Only symmetric keys with KMS-made key material can rotate; any other key is escalated, never changed.
 * A key scheduled for deletion counts as gone.
 */
import {
  DescribeKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyRotationCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
} from '@aws-sdk/client-kms';
import { z } from 'zod';
import { definePlaybook } from '../kit/playbook-kit';
import { isNotFound } from '../activities/aws-errors';

/** Key states in which the key is on its way out: nothing to fix. */
const LEAVING = new Set(['PendingDeletion', 'PendingReplicaDeletion']);

export const kmsKeyRotation = definePlaybook({
  id: 'kms-key-rotation',
  title: 'Turn on automatic rotation of a customer managed KMS key',
  kind: 'configuration',
  defaultMode: 'auto',
  roleFamily: 'configuration',
  resource: {
    type: 'AWS::KMS::Key',
    // A key id: a UUID, or a multi-Region key's `mrk-` id.
    idPattern: /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/,
    securityHubType: 'AwsKmsKey',
  },
  defaultSeverity: 5,
  triggers: {
    configRules: {
      'cmk-backing-key-rotation-enabled': { identifier: 'CMK_BACKING_KEY_ROTATION_ENABLED', periodic: true },
    },
    securityHubControls: ['KMS.4'],
  },
  iamActions: [
    'kms:DescribeKey',
    'kms:GetKeyRotationStatus',
    'kms:EnableKeyRotation',
    'kms:DisableKeyRotation',
  ],
  state: z.object({
    keyState: z.string(),
    keyManager: z.string(),
    keySpec: z.string(),
    origin: z.string(),
    rotationEnabled: z.boolean(),
  }),

  async read({ client, resource, abortSignal }) {
    const kms = client(KMSClient);
    const KeyId = resource.resourceId;
    let key;
    try {
      key = (await kms.send(new DescribeKeyCommand({ KeyId }), { abortSignal })).KeyMetadata;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    if (!key || LEAVING.has(key.KeyState ?? '')) return undefined;
    const keySpec = key.KeySpec ?? 'SYMMETRIC_DEFAULT';
    const origin = key.Origin ?? 'AWS_KMS';
    // Rotation status exists only for keys that can rotate; asking about another key is an error.
    const rotatable = keySpec === 'SYMMETRIC_DEFAULT' && origin === 'AWS_KMS';
    const rotationEnabled = rotatable
      ? (await kms.send(new GetKeyRotationStatusCommand({ KeyId }), { abortSignal })).KeyRotationEnabled ===
        true
      : false;
    return {
      keyState: key.KeyState ?? 'Unknown',
      keyManager: key.KeyManager ?? 'CUSTOMER',
      keySpec,
      origin,
      rotationEnabled,
    };
  },
  describe: (s) =>
    `${s.keyManager === 'AWS' ? 'AWS' : 'customer'} managed ${s.keySpec} key (${s.keyState}), rotation ${s.rotationEnabled ? 'on' : 'off'}`,
  cannotFix(s) {
    if (s.keySpec !== 'SYMMETRIC_DEFAULT' || s.origin !== 'AWS_KMS') {
      return `a ${s.keySpec} key with ${s.origin} key material cannot rotate automatically: rotate it by hand`;
    }
    if (s.keyState !== 'Enabled')
      return `the key is ${s.keyState}: rotation can only be turned on for an enabled key`;
    return undefined;
  },

  steps: [
    {
      id: 'enable-key-rotation',
      title: 'EnableKeyRotation',
      onFailure: 'compensate',
      // AWS managed keys rotate by themselves; the Config rule only judges customer managed ones.
      plan: (s, { resource }) =>
        s.keyManager === 'AWS' || s.rotationEnabled
          ? undefined
          : `EnableKeyRotation on ${resource.resourceId}`,
      async apply({ client, resource, abortSignal }) {
        await client(KMSClient).send(new EnableKeyRotationCommand({ KeyId: resource.resourceId }), {
          abortSignal,
        });
        return { changed: true, detail: 'EnableKeyRotation' };
      },
      async undo({ client, resource, abortSignal }, prior, current) {
        // Turned off only when it was off before the fix.
        if (prior.rotationEnabled || !current.rotationEnabled)
          return { changed: false, detail: 'already as recorded' };
        await client(KMSClient).send(new DisableKeyRotationCommand({ KeyId: resource.resourceId }), {
          abortSignal,
        });
        return { changed: true, detail: 'DisableKeyRotation (it was off before)' };
      },
    },
  ],
});
