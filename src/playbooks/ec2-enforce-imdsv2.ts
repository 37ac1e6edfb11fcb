/**
 * Playbook `ec2-enforce-imdsv2`: require IMDSv2 session tokens on an instance (Config `ec2-imdsv2-check`, source
 * EC2_IMDSV2_CHECK, on `AWS::EC2::Instance`; Security Hub EC2.8). ModifyInstanceMetadataOptions is sent with every
 * option as it is now and only HttpTokens changed: a partial call can reset what it omits, and a disabled metadata
 * endpoint must never be switched on by a remediation. Rollback sends the recorded options back exactly.
 *
 * An instance that made IMDSv1 calls in the last 24 hours (CloudWatch `MetadataNoToken`) may break without them, so
 * its fix waits for approval. The fix holds only once EC2 has applied it (metadata options `applied`, not `pending`).
 * A terminated or terminating instance counts as gone.
 */
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { EC2Client, ModifyInstanceMetadataOptionsCommand } from '@aws-sdk/client-ec2';
import type {
  HttpTokensState,
  InstanceMetadataEndpointState,
  InstanceMetadataProtocolState,
  InstanceMetadataTagsState,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { describeInstance, isGone } from '../activities/playbooks/ec2-instances';
import type { KitIo } from '../kit/playbook-kit';
import { definePlaybook } from '../kit/playbook-kit';
import { INSTANCE_RESOURCE } from './shared/resource-ids';

/** How far back to look for IMDSv1 calls before enforcing IMDSv2. */
export const IMDSV1_LOOKBACK_MS = 24 * 3600 * 1000;

/** The metadata options recorded and restored, exactly as EC2 reports them (in this order). */
const metadataOptions = z.object({
  HttpTokens: z.string(),
  HttpEndpoint: z.string(),
  HttpPutResponseHopLimit: z.number().int(),
  HttpProtocolIpv6: z.string(),
  InstanceMetadataTags: z.string(),
});
export type MetadataOptions = z.infer<typeof metadataOptions>;

const state = z.object({
  metadataOptions,
  /** What AWS and the instance change by themselves: observed, never restored (`State` is not compared). */
  State: z
    .object({
      /** Whether EC2 has applied the options (`applied`) or is still applying them (`pending`). */
      metadataState: z.string().optional(),
      /** IMDSv1 calls in the last 24 h; read only while tokens are not required, and not before a step. */
      imdsv1Calls: z.number().optional(),
    })
    .optional(),
});
type State = z.infer<typeof state>;

const OPTION_KEYS = Object.keys(metadataOptions.shape) as (keyof MetadataOptions)[];
const sameOptions = (a: MetadataOptions, b: MetadataOptions) => OPTION_KEYS.every((k) => a[k] === b[k]);

/** IMDSv1 calls the instance made in the last 24 h (the sum of `MetadataNoToken`). */
async function imdsv1Calls({ client, resource, abortSignal }: KitIo): Promise<number> {
  const end = new Date();
  const out = await client(CloudWatchClient).send(
    new GetMetricStatisticsCommand({
      Namespace: 'AWS/EC2',
      MetricName: 'MetadataNoToken',
      Dimensions: [{ Name: 'InstanceId', Value: resource.resourceId }],
      StartTime: new Date(end.getTime() - IMDSV1_LOOKBACK_MS),
      // A little past now, so the current, still-open period is included.
      EndTime: new Date(end.getTime() + 5 * 60 * 1000),
      Period: 3600,
      Statistics: ['Sum'],
    }),
    { abortSignal },
  );
  return (out.Datapoints ?? []).reduce((sum, point) => sum + (point.Sum ?? 0), 0);
}

/** ModifyInstanceMetadataOptions with every one of `options`: nothing left for EC2 to reset. */
async function modify({ client, resource, abortSignal }: KitIo, options: MetadataOptions): Promise<void> {
  await client(EC2Client).send(
    new ModifyInstanceMetadataOptionsCommand({
      InstanceId: resource.resourceId,
      HttpTokens: options.HttpTokens as HttpTokensState,
      HttpEndpoint: options.HttpEndpoint as InstanceMetadataEndpointState,
      HttpPutResponseHopLimit: options.HttpPutResponseHopLimit,
      HttpProtocolIpv6: options.HttpProtocolIpv6 as InstanceMetadataProtocolState,
      InstanceMetadataTags: options.InstanceMetadataTags as InstanceMetadataTagsState,
    }),
    { abortSignal },
  );
}

export const ec2EnforceImdsv2 = definePlaybook({
  id: 'ec2-enforce-imdsv2',
  title: 'Require IMDSv2 on an instance',
  kind: 'configuration',
  defaultMode: 'auto',
  roleFamily: 'configuration',
  resource: INSTANCE_RESOURCE,
  defaultSeverity: 7,
  triggers: {
    configRules: { 'ec2-imdsv2-check': { identifier: 'EC2_IMDSV2_CHECK' } },
    securityHubControls: ['EC2.8'],
  },
  iamActions: [
    'ec2:DescribeInstances',
    'ec2:ModifyInstanceMetadataOptions',
    'cloudwatch:GetMetricStatistics',
  ],
  state,

  async read(io): Promise<State | undefined> {
    const instance = await describeInstance(io.client(EC2Client), io.resource.resourceId, io);
    if (!instance || isGone(instance)) return undefined;
    const raw = instance.MetadataOptions;
    const options: MetadataOptions = {
      HttpTokens: raw?.HttpTokens ?? 'optional',
      HttpEndpoint: raw?.HttpEndpoint ?? 'enabled',
      HttpPutResponseHopLimit: raw?.HttpPutResponseHopLimit ?? 1,
      HttpProtocolIpv6: raw?.HttpProtocolIpv6 ?? 'disabled',
      InstanceMetadataTags: raw?.InstanceMetadataTags ?? 'disabled',
    };
    return {
      metadataOptions: options,
      State: {
        ...(raw?.State ? { metadataState: raw.State } : {}),
        // Only the analysis asks for approval on it (and the record and verification report it): not read before a step.
        ...(options.HttpTokens === 'required' || io.phase === 'apply' || io.phase === 'undo'
          ? {}
          : { imdsv1Calls: await imdsv1Calls(io) }),
      },
    };
  },
  describe: (s) =>
    [
      `HttpTokens=${s.metadataOptions.HttpTokens}${s.metadataOptions.HttpTokens === 'required' ? '' : ' (accepts IMDSv1)'}`,
      `State=${s.State?.metadataState ?? '?'}`,
      ...(s.State?.imdsv1Calls === undefined
        ? []
        : [`${s.State?.imdsv1Calls} IMDSv1 call(s) in the last 24 h`]),
    ].join(', '),
  needsApproval: (s) =>
    s.State?.imdsv1Calls
      ? `the instance made ${s.State?.imdsv1Calls} IMDSv1 call(s) in the last 24 h; requiring IMDSv2 may break it`
      : undefined,
  stillWrong(s) {
    if (s.metadataOptions.HttpTokens !== 'required') return `HttpTokens is ${s.metadataOptions.HttpTokens}`;
    if (s.State?.metadataState !== 'applied')
      return `metadata options not applied yet (State=${s.State?.metadataState ?? '?'})`;
    return undefined;
  },

  steps: [
    {
      id: 'require-imdsv2',
      title: 'ModifyInstanceMetadataOptions HttpTokens=required',
      onFailure: 'compensate',
      plan: (s, { resource }) =>
        s.metadataOptions.HttpTokens === 'required'
          ? undefined
          : `ModifyInstanceMetadataOptions on ${resource.resourceId}: HttpTokens=required, other options unchanged`,
      async apply(io, current) {
        // The current options, not the recorded ones: anything changed since the capture is kept as it is now.
        const wanted = { ...current.metadataOptions, HttpTokens: 'required' };
        await modify(io, wanted);
        return { changed: true, detail: `HttpTokens required; ${JSON.stringify(wanted)}` };
      },
      async undo(io, prior, current) {
        const recorded = prior.metadataOptions;
        if (sameOptions(current.metadataOptions, recorded))
          return { changed: false, detail: 'already as recorded' };
        await modify(io, recorded);
        return { changed: true, detail: `restored ${JSON.stringify(recorded)}` };
      },
    },
  ],
});
