/**
 * Conformance setup of `config-recorder-enabled`: the region's one configuration recorder (moto's account is shared by
 * every case of a suite, so each call resets it: stopped, no delivery channel). The non-compliant accounts take turns,
 * one per call, so that both fix paths run: a stopped recorder without a delivery channel (channel created in the
 * policy's bucket, recorder started), twice, then a stopped recorder with its channel (started).
 */
import {
  ConfigServiceClient,
  DeleteDeliveryChannelCommand,
  DescribeConfigurationRecordersCommand,
  DescribeDeliveryChannelsCommand,
  PutConfigurationRecorderCommand,
  PutDeliveryChannelCommand,
  StartConfigurationRecorderCommand,
  StopConfigurationRecorderCommand,
} from '@aws-sdk/client-config-service';
import { configRecorderEnabled } from '../../../src/playbooks/config-recorder-enabled';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import { configFinding } from '../../helpers/fixtures';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

/** The policy's bucket for a delivery channel (moto does not check that it exists). */
const BUCKET = 'remediator-conformance-config';
const RECORDER = 'default';

type Account = 'no-channel' | 'stopped' | 'recording';

async function account(env: ConformanceEnv, want: Account) {
  const config = new ConfigServiceClient({
    endpoint: env.endpoint,
    region: env.region,
    credentials: TEST_CREDENTIALS,
  });
  try {
    const recorders = (await config.send(new DescribeConfigurationRecordersCommand({})))
      .ConfigurationRecorders;
    const name = recorders?.[0]?.name ?? RECORDER;
    if (recorders?.length) {
      await config.send(new StopConfigurationRecorderCommand({ ConfigurationRecorderName: name }));
    } else {
      await config.send(
        new PutConfigurationRecorderCommand({
          ConfigurationRecorder: {
            name,
            roleARN: `arn:aws:iam::${env.account}:role/aws-config-recorder`,
            recordingGroup: { allSupported: true, includeGlobalResourceTypes: true },
          },
        }),
      );
    }
    for (const c of (await config.send(new DescribeDeliveryChannelsCommand({}))).DeliveryChannels ?? []) {
      await config.send(new DeleteDeliveryChannelCommand({ DeliveryChannelName: c.name }));
    }
    if (want !== 'no-channel') {
      await config.send(
        new PutDeliveryChannelCommand({ DeliveryChannel: { name: 'config-delivery', s3BucketName: BUCKET } }),
      );
    }
    if (want === 'recording') {
      await config.send(new StartConfigurationRecorderCommand({ ConfigurationRecorderName: name }));
    }
  } finally {
    config.destroy();
  }
  // Only Security Hub reports it (no Config rule does).
  return configFinding(
    'Config.1',
    { account: env.account, region: env.region, resourceType: 'AWS::::Account', resourceId: env.account },
    { source: 'aws.securityhub', title: 'AWS Config should be enabled', details: {} },
  );
}

const TURNS: readonly Account[] = ['no-channel', 'no-channel', 'stopped'];
let calls = 0;

export const setup: ConformanceSetup = {
  playbook: configRecorderEnabled,
  options: { deliveryBucketName: BUCKET },
  // The recorder without a channel needs the bucket in the end-to-end suite too.
  optionsEndToEnd: true,
  events: ['securityhub-config.1-failed.json'],
  nonCompliant: (env) => account(env, TURNS[calls++ % TURNS.length] ?? 'stopped'),
  compliant: (env) => account(env, 'recording'),
};
