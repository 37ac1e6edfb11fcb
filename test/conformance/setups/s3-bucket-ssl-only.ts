/**
 * Conformance setup of `s3-bucket-ssl-only`: a bucket whose policy (pretty-printed, so rollback must give the text back
 * exactly) grants something but does not deny plain HTTP, or one that already denies it under its own Sid.
 */
import { PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { s3BucketSslOnly } from '../../../src/playbooks/s3-bucket-ssl-only';
import { createBucket, TEST_CREDENTIALS } from '../../helpers/aws';
import { resourceFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

const finding = (env: ConformanceEnv, bucket: string) =>
  resourceFinding(env, 's3-bucket-ssl-requests-only', 'AWS::S3::Bucket', bucket);

async function bucket(env: ConformanceEnv, sslOnly: boolean) {
  const s3 = new S3Client({
    endpoint: env.endpoint,
    region: env.region,
    credentials: TEST_CREDENTIALS,
    forcePathStyle: true,
  });
  const name = `${env.unique}-ssl`;
  const arn = `arn:aws:s3:::${name}`;
  const statements = [
    {
      Sid: 'AllowAuditRead',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${env.account}:root` },
      Action: ['s3:GetObject', 's3:ListBucket'],
      Resource: [arn, `${arn}/*`],
    },
    ...(sslOnly
      ? [
          {
            Sid: 'EnforceTls',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: '*',
            Resource: `${arn}*`,
            Condition: { Bool: { 'aws:SecureTransport': false } },
          },
        ]
      : []),
  ];
  try {
    await createBucket(s3, name, env.region);
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: name,
        Policy: JSON.stringify({ Version: '2012-10-17', Id: 'audit', Statement: statements }, null, 2),
      }),
    );
    return finding(env, name);
  } finally {
    s3.destroy();
  }
}

export const setup: ConformanceSetup = {
  playbook: s3BucketSslOnly,
  events: ['config-s3-bucket-ssl-requests-only-noncompliant.json', 'securityhub-s3.5-failed.json'],
  nonCompliant: (env) => bucket(env, false),
  compliant: (env) => bucket(env, true),
  gone: (env) => finding(env, `${env.unique}-gone`),
};
