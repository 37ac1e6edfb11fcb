/**
 * Playbook `ec2-enforce-imdsv2`: require IMDSv2 session tokens on an instance (Config `ec2-imdsv2-check`; Security Hub
 * EC2.8). ModifyInstanceMetadataOptions is sent with every option as it was and only HttpTokens changed: a partial
 * call can reset what it omits, and a disabled metadata endpoint must never be switched on by a remediation.
 */
import { GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { ModifyInstanceMetadataOptionsCommand } from '@aws-sdk/client-ec2';
import type {
  EC2Client,
  HttpTokensState,
  InstanceMetadataEndpointState,
  InstanceMetadataOptionsResponse,
  InstanceMetadataProtocolState,
  InstanceMetadataTagsState,
} from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../aws/clients';
import type { Finding } from '../../domain/finding';
import type { Analysis, StepResult, Verification } from '../../domain/remediation';
import { classified } from '../aws-errors';
import type { CallContext, PlaybookHandler } from './playbook-handler';
import { describeInstance, requireInstance, isGone } from './ec2-instances';
import { assertKnownStep } from './steps';

/** The metadata options we record and restore, exactly as EC2 reports them. */
export interface MetadataOptions {
  readonly HttpTokens: HttpTokensState;
  readonly HttpEndpoint: InstanceMetadataEndpointState;
  readonly HttpPutResponseHopLimit: number;
  readonly HttpProtocolIpv6: InstanceMetadataProtocolState;
  readonly InstanceMetadataTags: InstanceMetadataTagsState;
}

/** What this playbook records before changing anything. */
export interface ImdsPrior extends Record<string, unknown> {
  readonly metadataOptions: MetadataOptions;
}

/** How far back to look for IMDSv1 calls before enforcing IMDSv2. */
export const IMDSV1_LOOKBACK_MS = 24 * 3600 * 1000;

const STEP = 'require-imdsv2';

function toOptions(raw: InstanceMetadataOptionsResponse | undefined): MetadataOptions {
  return {
    HttpTokens: raw?.HttpTokens ?? 'optional',
    HttpEndpoint: raw?.HttpEndpoint ?? 'enabled',
    HttpPutResponseHopLimit: raw?.HttpPutResponseHopLimit ?? 1,
    HttpProtocolIpv6: raw?.HttpProtocolIpv6 ?? 'disabled',
    InstanceMetadataTags: raw?.InstanceMetadataTags ?? 'disabled',
  };
}

/** Builds the playbook from the shared client factory. */
export function ec2EnforceImdsv2(clients: AwsClients): PlaybookHandler {
  const ec2For = (finding: Finding): EC2Client =>
    clients.ec2(finding.resource.account, finding.resource.region);

  async function imdsv1Calls(finding: Finding, ctx: CallContext): Promise<number> {
    const cloudwatch = clients.cloudwatch(finding.resource.account, finding.resource.region);
    const end = new Date();
    const out = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/EC2',
        MetricName: 'MetadataNoToken',
        Dimensions: [{ Name: 'InstanceId', Value: finding.resource.resourceId }],
        StartTime: new Date(end.getTime() - IMDSV1_LOOKBACK_MS),
        // A little past now, so the current, still-open period is included.
        EndTime: new Date(end.getTime() + 5 * 60 * 1000),
        Period: 3600,
        Statistics: ['Sum'],
      }),
      { abortSignal: ctx.abortSignal },
    );
    return (out.Datapoints ?? []).reduce((sum, point) => sum + (point.Sum ?? 0), 0);
  }

  async function modify(
    ec2: EC2Client,
    instanceId: string,
    options: MetadataOptions,
    ctx: CallContext,
  ): Promise<void> {
    await ec2.send(new ModifyInstanceMetadataOptionsCommand({ InstanceId: instanceId, ...options }), {
      abortSignal: ctx.abortSignal,
    });
  }

  return {
    async analyze(finding, ctx): Promise<Analysis> {
      const instanceId = finding.resource.resourceId;
      return classified('analyse instance metadata options', async () => {
        const instance = await describeInstance(ec2For(finding), instanceId, ctx);
        const state = instance?.State?.Name;
        if (!instance || isGone(instance)) {
          return {
            verdict: 'no_action',
            reason: `instance ${instanceId} no longer exists`,
            plan: [],
            observed: { state },
          };
        }
        const options = toOptions(instance.MetadataOptions);
        if (options.HttpTokens === 'required') {
          return {
            verdict: 'no_action',
            reason: `instance ${instanceId} already requires IMDSv2`,
            plan: [],
            observed: { options },
          };
        }
        const calls = await imdsv1Calls(finding, ctx);
        if (calls > 0) {
          return {
            verdict: 'needs_approval',
            reason: `instance ${instanceId} made ${calls} IMDSv1 call(s) in the last 24 h; requiring IMDSv2 may break it`,
            plan: [
              {
                step: STEP,
                description: `ModifyInstanceMetadataOptions on ${instanceId}: HttpTokens=required, other options unchanged`,
              },
            ],
            observed: { options, imdsv1Calls: calls },
          };
        }
        return {
          verdict: 'remediate',
          reason: `instance ${instanceId} accepts IMDSv1 (HttpTokens=${options.HttpTokens}) and made no IMDSv1 calls in 24 h`,
          plan: [
            {
              step: STEP,
              description: `ModifyInstanceMetadataOptions on ${instanceId}: HttpTokens=required, other options unchanged`,
            },
          ],
          observed: { options, imdsv1Calls: 0 },
        };
      });
    },

    async capturePriorState(finding, ctx): Promise<ImdsPrior> {
      return classified('record instance metadata options', async () => {
        const instance = await requireInstance(ec2For(finding), finding.resource.resourceId, ctx);
        return { metadataOptions: toOptions(instance.MetadataOptions) };
      });
    },

    async applyStep(step, finding, _prior, ctx): Promise<StepResult> {
      assertKnownStep('ec2-enforce-imdsv2', step, [STEP]);
      const instanceId = finding.resource.resourceId;
      const ec2 = ec2For(finding);
      return classified('require IMDSv2', async () => {
        // The current options, not the recorded ones: anything changed since the capture is kept as it is now.
        const current = toOptions((await requireInstance(ec2, instanceId, ctx)).MetadataOptions);
        if (current.HttpTokens === 'required')
          return { step, changed: false, detail: 'IMDSv2 was already required' };
        await modify(ec2, instanceId, { ...current, HttpTokens: 'required' }, ctx);
        return {
          step,
          changed: true,
          detail: `HttpTokens required; ${JSON.stringify({ ...current, HttpTokens: 'required' })}`,
        };
      });
    },

    async compensateStep(step, finding, prior, ctx): Promise<StepResult> {
      assertKnownStep('ec2-enforce-imdsv2', step, [STEP]);
      const instanceId = finding.resource.resourceId;
      const ec2 = ec2For(finding);
      const recorded = (prior as ImdsPrior).metadataOptions;
      return classified('restore instance metadata options', async () => {
        const current = toOptions((await requireInstance(ec2, instanceId, ctx)).MetadataOptions);
        if (JSON.stringify(current) === JSON.stringify(recorded))
          return { step, changed: false, detail: 'already as recorded' };
        await modify(ec2, instanceId, recorded, ctx);
        return { step, changed: true, detail: `restored ${JSON.stringify(recorded)}` };
      });
    },

    async verify(finding, ctx): Promise<Verification> {
      const instanceId = finding.resource.resourceId;
      return classified('verify instance metadata options', async () => {
        const raw = (await requireInstance(ec2For(finding), instanceId, ctx)).MetadataOptions;
        const passed = raw?.HttpTokens === 'required' && raw.State === 'applied';
        return {
          passed,
          detail: `DescribeInstances ${instanceId}: HttpTokens=${raw?.HttpTokens ?? '?'}, State=${raw?.State ?? '?'}`,
          observed: { metadataOptions: raw ?? null },
          at: new Date().toISOString(),
        };
      });
    },
  };
}
