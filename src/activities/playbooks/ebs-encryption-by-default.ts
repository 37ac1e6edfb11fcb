/**
 * Playbook `ebs-encryption-by-default`: turn on EBS encryption by default for an account in one region
 * (Config `ec2-ebs-encryption-by-default`, resource `AWS::::Account`; Security Hub EC2.7).
 */
import {
  DisableEbsEncryptionByDefaultCommand,
  EnableEbsEncryptionByDefaultCommand,
  GetEbsEncryptionByDefaultCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../aws/clients';
import type { Finding } from '../../domain/finding';
import type { Analysis, StepResult, Verification } from '../../domain/remediation';
import { classified } from '../aws-errors';
import type { CallContext, PlaybookHandler } from './playbook-handler';
import { assertKnownStep } from './steps';

/** What this playbook records before changing anything. */
export interface EbsEncryptionPrior extends Record<string, unknown> {
  readonly ebsEncryptionByDefault: boolean;
}

const STEP = 'enable-ebs-encryption-by-default';

/** Builds the playbook from the shared client factory. */
export function ebsEncryptionByDefault(clients: AwsClients): PlaybookHandler {
  const ec2For = (finding: Finding): EC2Client =>
    clients.ec2(finding.resource.account, finding.resource.region);

  async function isEnabled(ec2: EC2Client, ctx: CallContext): Promise<boolean> {
    const out = await ec2.send(new GetEbsEncryptionByDefaultCommand({}), { abortSignal: ctx.abortSignal });
    return out.EbsEncryptionByDefault === true;
  }

  return {
    async analyze(finding, ctx): Promise<Analysis> {
      const where = `${finding.resource.account}/${finding.resource.region}`;
      return classified('analyse EBS encryption by default', async () => {
        if (await isEnabled(ec2For(finding), ctx)) {
          return {
            verdict: 'no_action',
            reason: `EBS encryption by default is already on in ${where}`,
            plan: [],
            observed: { ebsEncryptionByDefault: true },
          };
        }
        return {
          verdict: 'remediate',
          reason: `EBS encryption by default is off in ${where}`,
          plan: [{ step: STEP, description: `EnableEbsEncryptionByDefault in ${where}` }],
          observed: { ebsEncryptionByDefault: false },
        };
      });
    },

    async capturePriorState(finding, ctx): Promise<EbsEncryptionPrior> {
      return classified('record EBS encryption by default', async () => ({
        ebsEncryptionByDefault: await isEnabled(ec2For(finding), ctx),
      }));
    },

    async applyStep(step, finding, _prior, ctx): Promise<StepResult> {
      assertKnownStep('ebs-encryption-by-default', step, [STEP]);
      const ec2 = ec2For(finding);
      return classified('enable EBS encryption by default', async () => {
        if (await isEnabled(ec2, ctx)) return { step, changed: false, detail: 'already on' };
        await ec2.send(new EnableEbsEncryptionByDefaultCommand({}), { abortSignal: ctx.abortSignal });
        return { step, changed: true, detail: 'EnableEbsEncryptionByDefault' };
      });
    },

    async compensateStep(step, finding, prior, ctx): Promise<StepResult> {
      assertKnownStep('ebs-encryption-by-default', step, [STEP]);
      const ec2 = ec2For(finding);
      const wasOn = (prior as EbsEncryptionPrior).ebsEncryptionByDefault;
      return classified('restore EBS encryption by default', async () => {
        // Only switch it off when it was off before: never weaken an account that already had it.
        if (wasOn || !(await isEnabled(ec2, ctx)))
          return { step, changed: false, detail: 'already as recorded' };
        await ec2.send(new DisableEbsEncryptionByDefaultCommand({}), { abortSignal: ctx.abortSignal });
        return { step, changed: true, detail: 'DisableEbsEncryptionByDefault (it was off before)' };
      });
    },

    stateFromObserved(observed): EbsEncryptionPrior | undefined {
      // The analysis and the verification both record GetEbsEncryptionByDefault's answer under this key.
      const on = observed['ebsEncryptionByDefault'];
      return typeof on === 'boolean' ? { ebsEncryptionByDefault: on } : undefined;
    },

    async verify(finding, ctx): Promise<Verification> {
      const where = `${finding.resource.account}/${finding.resource.region}`;
      return classified('verify EBS encryption by default', async () => {
        const passed = await isEnabled(ec2For(finding), ctx);
        return {
          passed,
          detail: `GetEbsEncryptionByDefault in ${where}: ${passed ? 'on' : 'off'}`,
          observed: { ebsEncryptionByDefault: passed },
          at: new Date().toISOString(),
        };
      });
    },
  };
}
