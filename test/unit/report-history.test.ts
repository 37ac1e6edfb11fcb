/**
 * History → outcome records (src/report/outcomes-from-history.ts) over the committed histories of real runs, checked
 * against what the files say read the plain way (test/helpers/history-files.ts), in both forms a history comes in.
 */
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { recordsFromHistory, uniqueOutcomes } from '../../src/report/outcomes-from-history';
import {
  historyFiles,
  jsonPayload,
  plainOutcomes,
  resultOf,
  startedInput,
  workflowTypeOf,
} from '../helpers/history-files';
import type { HistoryFile, JsonEvent, JsonHistory } from '../helpers/history-files';
import type { RollbackResult } from '../../src/domain/rollback';
import type { Outcome } from '../../src/domain/remediation';

const files = historyFiles();
const remediations = files.filter((f) => workflowTypeOf(f) === 'remediationWorkflow');
const byName = (name: string): HistoryFile => {
  const file = files.find((f) => f.name === name);
  if (!file) throw new Error(`no history ${name}`);
  return file;
};

it('reads every remediation history to the outcomes its result (or audit trail) holds, in both forms', () => {
  expect(remediations.length).toBeGreaterThan(60);
  for (const file of remediations) {
    const expected = plainOutcomes(file).map((o) => ({
      status: o.status,
      playbook: o.playbook,
      resourceId: o.finding.resource.resourceId,
      observedAt: o.finding.observedAt,
      finishedAt: o.finishedAt,
      verification: o.verification ? { passed: o.verification.passed, at: o.verification.at } : undefined,
    }));
    const fromJson = recordsFromHistory(file.json);
    const fromProto = recordsFromHistory(historyFromJSON(file.json));
    const got = fromJson.outcomes.map((o) => ({
      status: o.status,
      playbook: o.playbook,
      resourceId: o.resourceId,
      observedAt: o.observedAt,
      finishedAt: o.finishedAt,
      verification: o.verification,
    }));
    expect({ file: file.name, outcomes: got }).toEqual({ file: file.name, outcomes: expected });
    expect(fromProto).toEqual(fromJson);
    const { resource } = startedInput(file);
    expect(fromJson.workflowId).toBe(
      `remediation/${resource.account}/${resource.region}/${resource.resourceType}/${resource.resourceId}`,
    );
  }
});

it('finds the CANCELLED outcome of a cancelled run, which has no result, in its audit record', () => {
  const file = byName('s3-cancelled-awaiting-approval.json');

  const records = recordsFromHistory(file.json);

  expect(records.state).toBe('CANCELED');
  expect(records.outcomes).toHaveLength(1);
  expect(records.outcomes[0]).toMatchObject({ status: 'CANCELLED', seenIn: 'activity' });
  expect(records.outcomes[0]?.reason).toBe(plainOutcomes(file)[0]!.reason);
});

it('keeps approvals with who decided and escalations with their error type', () => {
  const approved = recordsFromHistory(byName('imdsv2-approved-remediated.json').json).outcomes[0];
  const rejected = recordsFromHistory(byName('sg-all-protocol-rejected.json').json).outcomes[0];
  const timedOut = recordsFromHistory(byName('iam-temporary-credentials-approval-timeout.json').json)
    .outcomes[0];
  const cannotFix = recordsFromHistory(byName('isolate-instance-escalated-target.json').json).outcomes[0];

  // The times are the capture's: whenever the histories were captured, asked before decided.
  const iso = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  expect(approved?.approval).toEqual({
    decision: 'approve',
    by: 'capture@replay (unverified)',
    reason: 'app supports IMDSv2',
    requestedAt: iso,
    decidedAt: iso,
  });
  const { requestedAt = '', decidedAt = '' } = approved?.approval ?? {};
  expect(Date.parse(decidedAt)).toBeGreaterThan(Date.parse(requestedAt));
  expect(rejected).toMatchObject({
    status: 'REJECTED',
    approval: { decision: 'reject', by: 'capture (web ui) (unverified)' },
  });
  expect(timedOut?.escalation?.errorType).toBe('ApprovalTimeout');
  expect(cannotFix?.escalation?.errorType).toBeUndefined();
  expect(cannotFix?.verdict).toBe('cannot_fix');
});

it('reads a rollback history to a rollback record: target, who asked, who approved, the playbook it undid', () => {
  const file = byName('s3-remediated-rolled-back-rollback.json');
  const result = resultOf<RollbackResult>(file)!;

  const records = recordsFromHistory(file.json);

  expect(records.outcomes).toEqual([]);
  expect(records.rollback).toMatchObject({
    status: result.status,
    target: result.target,
    requestedBy: result.by,
    requestedReason: result.requestedReason,
    approvedBy: result.approvedBy,
    at: result.at,
    playbook: 's3-block-public-access',
    resourceId: 'replay-controls',
    workflowId: `rollback/${result.target.workflowId}/${result.target.runId}`,
  });
});

/** A copy of `file`'s JSON with the first event and the last replaced by `first` and `last` patches. */
function variant(
  file: HistoryFile,
  first: (e: JsonEvent) => void,
  last: (events: JsonEvent[]) => JsonEvent[],
): JsonHistory {
  const json = JSON.parse(JSON.stringify(file.json)) as JsonHistory;
  first(json.events[0]!);
  json.events = last(json.events);
  return json;
}

describe('runs that continued as new', () => {
  const base = byName('s3-remediated-broken-again-remediated.json');
  const [firstOutcome, secondOutcome] = plainOutcomes(base) as [Outcome, Outcome];
  const input = startedInput(base);
  const carried = (outcomes: unknown[]) => ({
    ...input,
    carried: { intake: {}, outcomes, cooldownEndsAt: '2026-12-06T11:50:00.000Z', continuedAsNew: 1 },
  });

  it('takes the outcomes a run carried into the next run when it has no result of its own', () => {
    // The first run continued as new after its first outcome: its last event carries that outcome onwards.
    const runOne = variant(
      base,
      () => undefined,
      (events) => [
        ...events.slice(0, -1),
        {
          eventId: String(events.length),
          eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
          eventTime: '2026-12-06T11:49:15Z',
          workflowExecutionContinuedAsNewEventAttributes: {
            newExecutionRunId: 'run-two',
            workflowType: { name: 'remediationWorkflow' },
            input: { payloads: [jsonPayload(carried([firstOutcome]))] },
          },
        },
      ],
    );
    // The second run really continues the first, carries its outcome in, and its result holds both.
    const runTwo = variant(
      base,
      (e) => {
        e.workflowExecutionStartedEventAttributes!.continuedExecutionRunId = 'run-one';
        e.workflowExecutionStartedEventAttributes!.input!.payloads = [jsonPayload(carried([firstOutcome]))];
      },
      (events) => events,
    );

    const one = recordsFromHistory(runOne, { runId: 'run-one' });
    const two = recordsFromHistory(runTwo, { runId: 'run-two' });
    const unique = uniqueOutcomes([...one.outcomes, ...two.outcomes]);

    expect(one.state).toBe('CONTINUED_AS_NEW');
    expect(one.outcomes.map((o) => [o.seenIn, o.finishedAt])).toEqual(
      expect.arrayContaining([['continue-as-new', firstOutcome.finishedAt]]),
    );
    expect(two.outcomes.map((o) => o.finishedAt)).toEqual([
      firstOutcome.finishedAt,
      secondOutcome.finishedAt,
    ]);
    expect(unique.map((o) => o.finishedAt).sort()).toEqual(
      [firstOutcome.finishedAt, secondOutcome.finishedAt].sort(),
    );
  });

  it('ignores carried outcomes in the input of a run that continues nothing (a forged input)', () => {
    const forged = {
      ...firstOutcome,
      finishedAt: '2026-01-01T00:00:00.000Z',
      startedAt: '2026-01-01T00:00:00.000Z',
    };
    const json = variant(
      base,
      (e) => {
        e.workflowExecutionStartedEventAttributes!.input!.payloads = [jsonPayload(carried([forged]))];
      },
      (events) => events,
    );

    const records = recordsFromHistory(json);

    expect(records.outcomes.map((o) => o.finishedAt)).not.toContain('2026-01-01T00:00:00.000Z');
    expect(records.outcomes).toHaveLength(2);
  });
});

it('refuses what is not a history', () => {
  expect(() => recordsFromHistory({})).toThrow('not a workflow history');
  expect(() =>
    recordsFromHistory({
      events: [
        {
          eventType: 'EVENT_TYPE_TIMER_FIRED',
          eventId: '1',
          timerFiredEventAttributes: { timerId: '1', startedEventId: '1' },
        },
      ],
    }),
  ).toThrow('the first event is not WorkflowExecutionStarted');
});
