/**
 * Playbook `s3-block-public-access`: turn on all four bucket-level S3 Block Public Access settings
 * (Config `s3-bucket-public-read-prohibited` / `-write-`; Security Hub S3.2, S3.3, S3.8).
 */
import {
  DeletePublicAccessBlockCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';
import type { PublicAccessBlockConfiguration, S3Client } from '@aws-sdk/client-s3';
import type { Finding } from '../../domain/finding';
import type { Analysis, StepResult, Verification } from '../../domain/remediation';
import type { AwsClients } from '../../aws/clients';
import { awsErrorName, classified, isNotFound } from '../aws-errors';
import type { CallContext, PlaybookHandler } from './playbook-handler';
import { assertKnownStep } from './steps';

/** The four settings, each as S3 reports it. */
export interface PublicAccessBlock {
  readonly BlockPublicAcls: boolean;
  readonly IgnorePublicAcls: boolean;
  readonly BlockPublicPolicy: boolean;
  readonly RestrictPublicBuckets: boolean;
}

/** What this playbook records before changing anything: the bucket's configuration, or `null` when it had none. */
export interface S3PublicAccessPrior extends Record<string, unknown> {
  readonly publicAccessBlock: PublicAccessBlock | null;
}

const FULL_BLOCK: PublicAccessBlock = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

const STEP = 'put-public-access-block';

/** Builds the playbook from the shared client factory. */
export function s3BlockPublicAccess(clients: AwsClients): PlaybookHandler {
  const s3For = (finding: Finding): S3Client => clients.s3(finding.resource.account, finding.resource.region);

  async function readBlock(
    s3: S3Client,
    bucket: string,
    ctx: CallContext,
  ): Promise<PublicAccessBlock | null> {
    try {
      const out = await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }), {
        abortSignal: ctx.abortSignal,
      });
      return normalise(out.PublicAccessBlockConfiguration);
    } catch (err) {
      // Only "this bucket has no configuration" means null; a missing bucket must surface as NoSuchBucket.
      if (awsErrorName(err) === 'NoSuchPublicAccessBlockConfiguration') return null;
      throw err;
    }
  }

  async function bucketExists(s3: S3Client, bucket: string, ctx: CallContext): Promise<boolean> {
    try {
      await s3.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: ctx.abortSignal });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  return {
    async analyze(finding, ctx): Promise<Analysis> {
      const bucket = finding.resource.resourceId;
      const s3 = s3For(finding);
      return classified('analyse bucket', async () => {
        if (!(await bucketExists(s3, bucket, ctx))) {
          return {
            verdict: 'no_action',
            reason: `bucket ${bucket} no longer exists`,
            plan: [],
            observed: { exists: false },
          };
        }
        const current = await readBlock(s3, bucket, ctx);
        if (current && isFullyBlocked(current)) {
          return {
            verdict: 'no_action',
            reason: `bucket ${bucket} already blocks all public access`,
            plan: [],
            observed: { exists: true, publicAccessBlock: current },
          };
        }
        return {
          verdict: 'remediate',
          reason: current ? 'public access block is incomplete' : 'bucket has no public access block',
          plan: [
            {
              step: STEP,
              description: `PutPublicAccessBlock on ${bucket}: BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets = true`,
            },
          ],
          observed: { exists: true, publicAccessBlock: current },
        };
      });
    },

    async capturePriorState(finding, ctx): Promise<S3PublicAccessPrior> {
      return classified('record prior public access block', async () => ({
        publicAccessBlock: await readBlock(s3For(finding), finding.resource.resourceId, ctx),
      }));
    },

    async applyStep(step, finding, _prior, ctx): Promise<StepResult> {
      assertStep(step);
      const bucket = finding.resource.resourceId;
      const s3 = s3For(finding);
      return classified('block public access', async () => {
        const current = await readBlock(s3, bucket, ctx);
        if (current && isFullyBlocked(current)) {
          return { step, changed: false, detail: 'all four settings were already on' };
        }
        await s3.send(
          new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: FULL_BLOCK }),
          {
            abortSignal: ctx.abortSignal,
          },
        );
        return { step, changed: true, detail: 'PutPublicAccessBlock with all four settings on' };
      });
    },

    async compensateStep(step, finding, prior, ctx): Promise<StepResult> {
      assertStep(step);
      const bucket = finding.resource.resourceId;
      const s3 = s3For(finding);
      const recorded = (prior as S3PublicAccessPrior).publicAccessBlock;
      return classified('restore public access block', async () => {
        const current = await readBlock(s3, bucket, ctx);
        if (sameBlock(current, recorded)) return { step, changed: false, detail: 'already as recorded' };
        if (recorded === null) {
          await s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket }), {
            abortSignal: ctx.abortSignal,
          });
          return { step, changed: true, detail: 'deleted the public access block (the bucket had none)' };
        }
        await s3.send(
          new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: recorded }),
          {
            abortSignal: ctx.abortSignal,
          },
        );
        return { step, changed: true, detail: `restored ${JSON.stringify(recorded)}` };
      });
    },

    stateFromObserved(observed): S3PublicAccessPrior | undefined {
      // Both the analysis and the verification record GetPublicAccessBlock's answer under this key.
      const block = observed['publicAccessBlock'];
      if (block === null) return { publicAccessBlock: null };
      return isPublicAccessBlock(block) ? { publicAccessBlock: block } : undefined;
    },

    async verify(finding, ctx): Promise<Verification> {
      const bucket = finding.resource.resourceId;
      return classified('verify public access block', async () => {
        const current = await readBlock(s3For(finding), bucket, ctx);
        const passed = current !== null && isFullyBlocked(current);
        return {
          passed,
          detail: passed
            ? `GetPublicAccessBlock on ${bucket}: all four settings on`
            : `GetPublicAccessBlock on ${bucket}: ${current ? JSON.stringify(current) : 'no configuration'}`,
          observed: { publicAccessBlock: current },
          at: new Date().toISOString(),
        };
      });
    },
  };
}

function assertStep(step: string): void {
  assertKnownStep('s3-block-public-access', step, [STEP]);
}

function normalise(config: PublicAccessBlockConfiguration | undefined): PublicAccessBlock {
  return {
    BlockPublicAcls: config?.BlockPublicAcls ?? false,
    IgnorePublicAcls: config?.IgnorePublicAcls ?? false,
    BlockPublicPolicy: config?.BlockPublicPolicy ?? false,
    RestrictPublicBuckets: config?.RestrictPublicBuckets ?? false,
  };
}

function isPublicAccessBlock(value: unknown): value is PublicAccessBlock {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['BlockPublicAcls'] === 'boolean' &&
    typeof v['IgnorePublicAcls'] === 'boolean' &&
    typeof v['BlockPublicPolicy'] === 'boolean' &&
    typeof v['RestrictPublicBuckets'] === 'boolean'
  );
}

/** True when every one of the four settings is on. */
export function isFullyBlocked(block: PublicAccessBlock): boolean {
  return (
    block.BlockPublicAcls && block.IgnorePublicAcls && block.BlockPublicPolicy && block.RestrictPublicBuckets
  );
}

function sameBlock(a: PublicAccessBlock | null, b: PublicAccessBlock | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.BlockPublicAcls === b.BlockPublicAcls &&
    a.IgnorePublicAcls === b.IgnorePublicAcls &&
    a.BlockPublicPolicy === b.BlockPublicPolicy &&
    a.RestrictPublicBuckets === b.RestrictPublicBuckets
  );
}
