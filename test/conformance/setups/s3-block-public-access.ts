/**
 * Conformance setup of `s3-block-public-access`: a bucket whose Block Public Access is only half on (rollback must put
 * exactly those two settings back), or one with all four on.
 */
import { PutPublicAccessBlockCommand, S3Client } from '@aws-sdk/client-s3';
import { s3BlockPublicAccess } from '../../../src/playbooks/s3-block-public-access';
import { createBucket, TEST_CREDENTIALS } from '../../helpers/aws';
import { resourceFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

const finding = (env: ConformanceEnv, bucket: string) =>
  resourceFinding(env, 's3-bucket-public-read-prohibited', 'AWS::S3::Bucket', bucket);

async function bucket(env: ConformanceEnv, blocked: boolean) {
  const s3 = new S3Client({
    endpoint: env.endpoint,
    region: env.region,
    credentials: TEST_CREDENTIALS,
    forcePathStyle: true,
  });
  const name = `${env.unique}-public`;
  try {
    await createBucket(s3, name, env.region);
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: name,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: blocked,
          BlockPublicPolicy: blocked,
          RestrictPublicBuckets: true,
        },
      }),
    );
    return finding(env, name);
  } finally {
    s3.destroy();
  }
}

export const setup: ConformanceSetup = {
  playbook: s3BlockPublicAccess,
  events: [
    'config-s3-bucket-public-read-noncompliant.json',
    'guardduty-s3-block-public-access-disabled.json',
  ],
  nonCompliant: (env) => bucket(env, false),
  compliant: (env) => bucket(env, true),
  gone: (env) => finding(env, `${env.unique}-gone`),
};
