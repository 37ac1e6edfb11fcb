/**
 * Conformance setup of `guardduty-finding-triage`: a high-severity GuardDuty finding no other playbook acts on (a
 * runtime reverse shell), keyed by the finding as the bridge keys it. It changes nothing, so there is no resource to
 * make and no compliant case; its end-to-end test is in test/e2e/playbooks.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { parseMessageBody } from '../../../src/ingest/envelope';
import { subjectFor } from '../../../src/ingest/finding-subject';
import { singleFinding } from '../../../src/ingest/normalise';
import { guardDutyFindingTriage } from '../../../src/playbooks/guardduty-finding-triage';
import { fixtureEvent } from '../../helpers/fixtures';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

export const setup: ConformanceSetup = {
  playbook: guardDutyFindingTriage,
  events: [],
  nonCompliant: (env: ConformanceEnv) => {
    const event = fixtureEvent('guardduty-runtime-reverse-shell.json', {
      accountId: env.account,
      region: env.region,
      id: randomUUID().replace(/-/g, ''),
    });
    return Promise.resolve(
      subjectFor(singleFinding(parseMessageBody(JSON.stringify(event))), guardDutyFindingTriage.id),
    );
  },
};
