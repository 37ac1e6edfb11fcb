/**
 * How a rollback compares a resource with what was recorded (`stateDifferences`): read times and what AWS changes by
 * itself (`State`) are never compared, nor the order of sets; and, for executions that carry the patch, only the
 * fields the recording has.
 */
import { stateDifferences } from '../../src/domain/rollback';

it('ignores read times, AWS-settled state and the order of sets, and names each field that differs', () => {
  const recorded = {
    groups: ['sg-1', 'sg-2'],
    protection: false,
    capturedAt: 't1',
    State: { alarm: 'ALARM' },
  };
  expect(
    stateDifferences(recorded, { ...recorded, groups: ['sg-2', 'sg-1'], capturedAt: 't2', State: {} }),
  ).toEqual([]);
  expect(stateDifferences(recorded, { ...recorded, protection: true })).toEqual([
    'protection: expected false, found true',
  ]);
});

it('compares only the recorded fields when asked, so a field a playbook gained since is no drift', () => {
  // An execution recorded before `ec2-instance-recovery` read its tag and alarm actions.
  const recorded = { state: 'running' };
  const now = { state: 'running', stopStartFor: null, recoverAction: false };
  expect(stateDifferences(recorded, now)).toEqual([
    'recoverAction: expected nothing, found false',
    'stopStartFor: expected nothing, found null',
  ]);
  expect(stateDifferences(recorded, now, { recordedKeysOnly: true })).toEqual([]);
  // A recorded field that is gone or changed still counts.
  expect(stateDifferences(recorded, { stopStartFor: null }, { recordedKeysOnly: true })).toEqual([
    'state: expected "running", found nothing',
  ]);
});
