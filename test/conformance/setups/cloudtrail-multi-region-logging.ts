/**
 * Conformance setup of `cloudtrail-multi-region-logging`: the account's trails. moto's account is shared by every case
 * of a suite, so each call first deletes every trail homed in the region. The non-compliant accounts take turns, one
 * per call, so that each fix path runs in the suites: a stopped single-Region trail without global service events
 * (made multi-Region and started), no trail at all (one created in the policy's bucket and started), a stopped
 * multi-Region trail beside a logging single-Region one that records only read events (the multi-Region one started).
 */
import {
  DeleteTrailCommand,
  DescribeTrailsCommand,
  PutEventSelectorsCommand,
  StartLoggingCommand,
} from '@aws-sdk/client-cloudtrail';
import { S3Client } from '@aws-sdk/client-s3';
import { cloudtrailMultiRegionLogging } from '../../../src/playbooks/cloudtrail-multi-region-logging';
import { createBucket, TEST_CREDENTIALS } from '../../helpers/aws';
import { accountFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';
import { cloudTrailOf, makeTrail } from './cloudtrail-log-file-validation';

/** The policy's bucket for a trail the playbook creates (made once, when a case needs it). */
const BUCKET = 'remediator-conformance-cloudtrail';

/** Deletes every trail homed in the region: the account starts with none. */
async function noTrails(env: ConformanceEnv) {
  const cloudtrail = cloudTrailOf(env);
  try {
    const { trailList } = await cloudtrail.send(new DescribeTrailsCommand({ includeShadowTrails: true }));
    for (const t of trailList ?? []) {
      if (t.HomeRegion === env.region) await cloudtrail.send(new DeleteTrailCommand({ Name: t.Name }));
    }
  } finally {
    cloudtrail.destroy();
  }
}

async function startLogging(env: ConformanceEnv, name: string) {
  const cloudtrail = cloudTrailOf(env);
  try {
    await cloudtrail.send(new StartLoggingCommand({ Name: name }));
  } finally {
    cloudtrail.destroy();
  }
}

const SCENARIOS = ['extend', 'create', 'start'] as const;
let calls = 0;

async function nonCompliant(env: ConformanceEnv) {
  const scenario = SCENARIOS[calls++ % SCENARIOS.length];
  await noTrails(env);
  if (scenario === 'extend') {
    await makeTrail(env, { IncludeGlobalServiceEvents: false });
  } else if (scenario === 'create') {
    const s3 = new S3Client({
      endpoint: env.endpoint,
      region: env.region,
      credentials: TEST_CREDENTIALS,
      forcePathStyle: true,
    });
    try {
      // Already there from an earlier case: BucketAlreadyOwnedByYou.
      await createBucket(s3, BUCKET, env.region).catch((err: Error) => {
        if (err.name !== 'BucketAlreadyOwnedByYou') throw err;
      });
    } finally {
      s3.destroy();
    }
  } else {
    const readOnly = await makeTrail(env, { Name: `${env.unique}-reads` });
    const cloudtrail = cloudTrailOf(env);
    try {
      await cloudtrail.send(
        new PutEventSelectorsCommand({
          TrailName: readOnly,
          EventSelectors: [{ ReadWriteType: 'ReadOnly', IncludeManagementEvents: true }],
        }),
      );
    } finally {
      cloudtrail.destroy();
    }
    await startLogging(env, readOnly);
    await makeTrail(env, { IsMultiRegionTrail: true });
  }
  return accountFinding(env, 'multi-region-cloudtrail-enabled');
}

export const setup: ConformanceSetup = {
  playbook: cloudtrailMultiRegionLogging,
  options: { trailName: 'remediator-multi-region-trail', s3BucketName: BUCKET },
  // The account without a trail needs the bucket in the end-to-end suite too.
  optionsEndToEnd: true,
  events: [
    'config-multi-region-cloudtrail-enabled-noncompliant.json',
    'securityhub-cloudtrail.1-failed.json',
  ],
  nonCompliant,
  compliant: async (env) => {
    await noTrails(env);
    await startLogging(env, await makeTrail(env, { IsMultiRegionTrail: true }));
    return accountFinding(env, 'multi-region-cloudtrail-enabled');
  },
};
