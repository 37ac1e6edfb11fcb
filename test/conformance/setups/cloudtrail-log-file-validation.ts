/** Conformance setup of `cloudtrail-log-file-validation`: a single-Region trail, log file validation off or on. */
import { CloudTrailClient, CreateTrailCommand } from '@aws-sdk/client-cloudtrail';
import type { CreateTrailCommandInput } from '@aws-sdk/client-cloudtrail';
import { S3Client } from '@aws-sdk/client-s3';
import { cloudtrailLogFileValidation } from '../../../src/playbooks/cloudtrail-log-file-validation';
import { createBucket, TEST_CREDENTIALS } from '../../helpers/aws';
import { resourceFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

/** A CloudTrail client on `env`'s moto. */
export const cloudTrailOf = (env: ConformanceEnv) =>
  new CloudTrailClient({ endpoint: env.endpoint, region: env.region, credentials: TEST_CREDENTIALS });

/** Makes a trail named `env.unique` delivering to a fresh bucket (moto checks the bucket exists); its name. */
export async function makeTrail(
  env: ConformanceEnv,
  input: Partial<CreateTrailCommandInput> = {},
): Promise<string> {
  const s3 = new S3Client({
    endpoint: env.endpoint,
    region: env.region,
    credentials: TEST_CREDENTIALS,
    forcePathStyle: true,
  });
  const cloudtrail = cloudTrailOf(env);
  const name = input.Name ?? env.unique;
  try {
    await createBucket(s3, `${name}-trail-logs`, env.region);
    await cloudtrail.send(
      new CreateTrailCommand({ ...input, Name: name, S3BucketName: `${name}-trail-logs` }),
    );
    return name;
  } finally {
    s3.destroy();
    cloudtrail.destroy();
  }
}

const finding = (env: ConformanceEnv, trail: string) =>
  resourceFinding(env, 'cloud-trail-log-file-validation-enabled', 'AWS::CloudTrail::Trail', trail);

export const setup: ConformanceSetup = {
  playbook: cloudtrailLogFileValidation,
  events: [
    'config-cloud-trail-log-file-validation-enabled-noncompliant.json',
    'securityhub-cloudtrail.4-failed.json',
  ],
  nonCompliant: async (env) => finding(env, await makeTrail(env, { EnableLogFileValidation: false })),
  compliant: async (env) => finding(env, await makeTrail(env, { EnableLogFileValidation: true })),
  gone: (env) => finding(env, `${env.unique}-gone`),
};
