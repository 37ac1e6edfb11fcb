/**
 * Conformance setup of `cloudtrail-encryption`: a single-Region trail with SSE-S3 only, or already encrypted with a
 * KMS key. moto does not check that the key exists, so the policy's key is a fixed ARN.
 */
import { cloudtrailEncryption } from '../../../src/playbooks/cloudtrail-encryption';
import { resourceFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';
import { makeTrail } from './cloudtrail-log-file-validation';

const finding = (env: ConformanceEnv, trail: string) =>
  resourceFinding(env, 'cloud-trail-encryption-enabled', 'AWS::CloudTrail::Trail', trail);

const key = (env: ConformanceEnv, id: string) => `arn:aws:kms:${env.region}:${env.account}:key/${id}`;

export const setup: ConformanceSetup = {
  playbook: cloudtrailEncryption,
  options: { kmsKeyArn: 'arn:aws:kms:ap-northeast-1:123456789012:key/3f1c9a7e-52d4-4b8e-9c61-0a7d2e4b5f93' },
  // Without a key the playbook only escalates: the end-to-end suite gives it its options too.
  optionsEndToEnd: true,
  events: ['config-cloud-trail-encryption-enabled-noncompliant.json', 'securityhub-cloudtrail.2-failed.json'],
  nonCompliant: async (env) => finding(env, await makeTrail(env)),
  compliant: async (env) =>
    finding(env, await makeTrail(env, { KmsKeyId: key(env, '8d2e6b1a-7c3f-4e59-a0b4-9f1e2d3c4b5a') })),
  gone: (env) => finding(env, `${env.unique}-gone`),
};
