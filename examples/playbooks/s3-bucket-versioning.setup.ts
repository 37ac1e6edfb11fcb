/**
 * Conformance setup of the example user playbook `s3-bucket-versioning` (docs/playbooks.md, Writing your own
 * playbook): a bucket with versioning suspended or on, and a bucket that does not exist. The conformance suite runs
 * every `*.setup.ts` beside the example, and those in the directory `REMEDIATOR_PLAYBOOK_SETUPS` names.
 */
import { randomUUID } from 'node:crypto';
import { PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { resourceFinding } from '../../test/conformance/conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../../test/conformance/conformance-setup';
import { createBucket, TEST_CREDENTIALS } from '../../test/helpers/aws';
import { s3BucketVersioning } from './s3-bucket-versioning';

const finding = (env: ConformanceEnv, bucket: string) =>
  resourceFinding(env, 's3-bucket-versioning-enabled', 'AWS::S3::Bucket', bucket);

async function bucket(env: ConformanceEnv, versioning: 'Enabled' | 'Suspended') {
  const s3 = new S3Client({
    endpoint: env.endpoint,
    region: env.region,
    credentials: TEST_CREDENTIALS,
    forcePathStyle: true,
  });
  const name = `${env.unique}-versions`;
  try {
    await createBucket(s3, name, env.region);
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: versioning } }),
    );
    return finding(env, name);
  } finally {
    s3.destroy();
  }
}

export const setup: ConformanceSetup = {
  playbook: s3BucketVersioning,
  // Its event is beside it (events/); the end-to-end test of user playbooks sends it (test/e2e/user-playbooks.test.ts).
  events: [],
  nonCompliant: (env) => bucket(env, 'Suspended'),
  compliant: (env) => bucket(env, 'Enabled'),
  gone: (env) => finding(env, `gone-${randomUUID().slice(0, 8)}`),
};
