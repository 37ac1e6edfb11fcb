/**
 * Conformance setup of `guardduty-enabled`: the region's GuardDuty detector (moto's account is shared by every case
 * of a suite, so each call first deletes every detector there). The non-compliant accounts take turns, one per call,
 * so that both fix paths run: no detector (one created), a suspended detector (enabled), no detector again.
 */
import {
  CreateDetectorCommand,
  DeleteDetectorCommand,
  GuardDutyClient,
  ListDetectorsCommand,
} from '@aws-sdk/client-guardduty';
import { guardDutyEnabled } from '../../../src/playbooks/guardduty-enabled';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import { accountFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

type Account = 'none' | 'suspended' | 'enabled';

async function account(env: ConformanceEnv, want: Account) {
  const guardduty = new GuardDutyClient({
    endpoint: env.endpoint,
    region: env.region,
    credentials: TEST_CREDENTIALS,
  });
  try {
    for (const DetectorId of (await guardduty.send(new ListDetectorsCommand({}))).DetectorIds ?? []) {
      await guardduty.send(new DeleteDetectorCommand({ DetectorId }));
    }
    if (want !== 'none') await guardduty.send(new CreateDetectorCommand({ Enable: want === 'enabled' }));
  } finally {
    guardduty.destroy();
  }
  return accountFinding(env, 'guardduty-enabled-centralized');
}

const TURNS: readonly Account[] = ['none', 'suspended', 'none'];
let calls = 0;

export const setup: ConformanceSetup = {
  playbook: guardDutyEnabled,
  events: ['config-guardduty-enabled-centralized-noncompliant.json', 'securityhub-guardduty.1-failed.json'],
  nonCompliant: (env) => account(env, TURNS[calls++ % TURNS.length] ?? 'none'),
  compliant: (env) => account(env, 'enabled'),
};
