/**
 * Playbook `config-recorder-enabled`: AWS Config recording in the account's region: a configuration recorder exists,
 * is recording, and has a delivery channel (Security Hub Config.1, `AwsAccount`). Only Security Hub reports it: no
 * Config rule does, since a recorder that is off cannot report on itself.
 *
 * The fix starts the existing recorder (StartConfigurationRecorder; undo StopConfigurationRecorder, only if it was
 * stopped before). Config cannot start without a delivery channel; a missing one is created first, named `default`,
 * delivering to the bucket of the option `deliveryBucketName` (policy
 * `playbooks.config-recorder-enabled.options.deliveryBucketName`, a bucket whose policy lets Config write; undo
 * DeleteDeliveryChannel, after the recorder is stopped again). Without the option such an account is escalated.
 *
 * An account without a recorder is escalated, not given one: PutConfigurationRecorder hands Config an IAM role, and
 * the caller needs `iam:PassRole` on that role. On `*`, as every kit statement is granted, that is an escalation
 * primitive (infra/lib/escalation-check.ts), and IAM actions stay out of the configuration role altogether (test/infra
 * family-permissions); the recorder and its role belong to the account's baseline. A service-linked recorder (one
 * another AWS service manages, with `servicePrincipal`) is not the account's own and is left out.
 */
import {
  ConfigServiceClient,
  DeleteDeliveryChannelCommand,
  DescribeConfigurationRecordersCommand,
  DescribeConfigurationRecorderStatusCommand,
  DescribeDeliveryChannelsCommand,
  PutDeliveryChannelCommand,
  StartConfigurationRecorderCommand,
  StopConfigurationRecorderCommand,
} from '@aws-sdk/client-config-service';
import { z } from 'zod';
import { isNotFound } from '../activities/aws-errors';
import { definePlaybook } from '../kit/playbook-kit';
import type { KitIo } from '../kit/playbook-kit';
import { ACCOUNT_RESOURCE } from './shared/account-resource';

/** The name the Config console gives the delivery channel it creates. */
const CHANNEL_NAME = 'default';
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const bucketOf = ({ options }: KitIo) =>
  typeof options.deliveryBucketName === 'string' && BUCKET_NAME.test(options.deliveryBucketName)
    ? options.deliveryBucketName
    : undefined;

export const configRecorderEnabled = definePlaybook({
  id: 'config-recorder-enabled',
  title: 'Start the AWS Config configuration recorder',
  kind: 'configuration',
  defaultMode: 'auto',
  roleFamily: 'configuration',
  resource: ACCOUNT_RESOURCE,
  defaultSeverity: 5,
  triggers: { securityHubControls: ['Config.1'] },
  iamActions: [
    'config:DescribeConfigurationRecorders',
    'config:DescribeConfigurationRecorderStatus',
    'config:DescribeDeliveryChannels',
    'config:PutDeliveryChannel',
    'config:DeleteDeliveryChannel',
    'config:StartConfigurationRecorder',
    'config:StopConfigurationRecorder',
  ],
  state: z.object({
    /** The account's own recorder in the region, or null. */
    recorder: z.object({ name: z.string(), recording: z.boolean() }).nullable(),
    /** The delivery channel's name, or null. */
    deliveryChannel: z.string().nullable(),
  }),

  async read({ client, abortSignal }) {
    const config = client(ConfigServiceClient);
    const own = (
      (await config.send(new DescribeConfigurationRecordersCommand({}), { abortSignal }))
        .ConfigurationRecorders ?? []
    ).find((r) => r.name && !r.servicePrincipal);
    let recorder: { name: string; recording: boolean } | null = null;
    if (own?.name) {
      try {
        const status = (
          await config.send(
            new DescribeConfigurationRecorderStatusCommand({ ConfigurationRecorderNames: [own.name] }),
            { abortSignal },
          )
        ).ConfigurationRecordersStatus?.[0];
        recorder = { name: own.name, recording: status?.recording === true };
      } catch (err) {
        // NoSuchConfigurationRecorderException: deleted since it was listed.
        if (!isNotFound(err)) throw err;
      }
    }
    const channel = (
      (await config.send(new DescribeDeliveryChannelsCommand({}), { abortSignal })).DeliveryChannels ?? []
    ).find((c) => c.name);
    return { recorder, deliveryChannel: channel?.name ?? null };
  },
  describe: (s) =>
    `${s.recorder ? `recorder ${s.recorder.name} ${s.recorder.recording ? 'recording' : 'stopped'}` : 'no configuration recorder'}, ${s.deliveryChannel ? `delivery channel ${s.deliveryChannel}` : 'no delivery channel'}`,
  cannotFix(s, io) {
    if (!s.recorder) {
      return `the account has no configuration recorder in ${io.resource.region}: creating one passes an IAM role to Config (iam:PassRole), which no member role is granted; create it with its role in the account's baseline`;
    }
    if (!s.deliveryChannel && !bucketOf(io)) {
      return 'the recorder has no delivery channel and the policy gives no bucket for one (playbooks.config-recorder-enabled.options.deliveryBucketName, a bucket whose policy lets Config write)';
    }
    return undefined;
  },

  steps: [
    {
      id: 'put-delivery-channel',
      title: 'PutDeliveryChannel to the policy bucket when there is none',
      onFailure: 'compensate',
      plan: (s, io) =>
        s.deliveryChannel
          ? undefined
          : `PutDeliveryChannel ${CHANNEL_NAME} → s3://${bucketOf(io) ?? '(policy option deliveryBucketName)'}`,
      async apply(io) {
        const bucket = bucketOf(io);
        // cannotFix stops a run without a bucket before any step; this is only a guard.
        if (!bucket) throw new Error('config-recorder-enabled: no deliveryBucketName option');
        await io
          .client(ConfigServiceClient)
          .send(
            new PutDeliveryChannelCommand({ DeliveryChannel: { name: CHANNEL_NAME, s3BucketName: bucket } }),
            {
              abortSignal: io.abortSignal,
            },
          );
        return { changed: true, detail: `delivery channel ${CHANNEL_NAME} → s3://${bucket}` };
      },
      async undo({ client, abortSignal }, prior, current) {
        // Config refuses to delete the channel of a recorder that is recording: the later step's undo stops it first.
        if (prior.deliveryChannel || !current.deliveryChannel)
          return { changed: false, detail: 'already as recorded' };
        await client(ConfigServiceClient).send(
          new DeleteDeliveryChannelCommand({ DeliveryChannelName: current.deliveryChannel }),
          { abortSignal },
        );
        return { changed: true, detail: `DeleteDeliveryChannel ${current.deliveryChannel} (there was none)` };
      },
    },
    {
      id: 'start-recorder',
      title: 'StartConfigurationRecorder',
      onFailure: 'compensate',
      // No recorder at all: still non-compliant; cannotFix escalates it.
      plan: (s) =>
        !s.recorder
          ? 'StartConfigurationRecorder (there is no recorder to start)'
          : s.recorder.recording
            ? undefined
            : `StartConfigurationRecorder ${s.recorder.name}`,
      async apply({ client, abortSignal }, current) {
        if (!current.recorder) throw new Error('config-recorder-enabled: no recorder');
        await client(ConfigServiceClient).send(
          new StartConfigurationRecorderCommand({ ConfigurationRecorderName: current.recorder.name }),
          { abortSignal },
        );
        return { changed: true, detail: `StartConfigurationRecorder ${current.recorder.name}` };
      },
      async undo({ client, abortSignal }, prior, current) {
        // Stopped only when it was stopped before the fix.
        if (!prior.recorder || prior.recorder.recording || !current.recorder?.recording) {
          return { changed: false, detail: 'already as recorded' };
        }
        await client(ConfigServiceClient).send(
          new StopConfigurationRecorderCommand({ ConfigurationRecorderName: current.recorder.name }),
          { abortSignal },
        );
        return {
          changed: true,
          detail: `StopConfigurationRecorder ${current.recorder.name} (it was stopped)`,
        };
      },
    },
  ],
});
