/**
 * The per-resource execution's life on the real Temporal dev server, with real activities against moto: a resource
 * broken again after its fix is fixed again (and counted by the flapping rule), a cancellation mid-apply compensates
 * (configuration) or keeps (containment) what changed and records `CANCELLED`, and an execution flooded with
 * repeats continues as new and completes normally. The in-flight AWS call during a cancellation is held by a wrapper
 * around the real activity: a timing the real server cannot be made to produce on demand.
 */
import { randomUUID } from 'node:crypto';
import { DeletePublicAccessBlockCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  ListAccessKeysCommand,
} from '@aws-sdk/client-iam';
import { WorkflowFailedError } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { cancelRemediation } from '../../src/commands/cancel';
import { rollback } from '../../src/commands/rollback';
import { remediationWorkflowId } from '../../src/domain/finding';
import type { Finding } from '../../src/domain/finding';
import type { RemediationResult } from '../../src/domain/remediation';
import { RemediationStatusKey } from '../../src/domain/search-attributes';
import { findingSignal, statusQuery } from '../../src/workflows/definitions';
import { MAX_FINDINGS_PER_RUN } from '../../src/workflows/remediation';
import { createBucket, drainQueue, publicAccessBlockOf, TEST_CREDENTIALS } from '../helpers/aws';
import { fastSettings, guardDutyFinding, s3Finding } from '../helpers/fixtures';
import { startWorkflowStack } from '../helpers/workflow-stack';
import type { WorkflowStack } from '../helpers/workflow-stack';
import { dispatcherWith } from '../helpers/worker-policies';

let stack: WorkflowStack;
beforeAll(async () => {
  stack = await startWorkflowStack();
});
afterAll(async () => {
  await stack?.stop();
});

const S3 = 's3-block-public-access';
/** The policy a rollback reads its activity settings from: no propagation wait. */
const newBucket = (): string => `lc-${randomUUID().slice(0, 12)}`;

async function dispatch(
  taskQueue: string,
  finding: Finding,
  playbook = S3,
  settings = fastSettings(),
): Promise<WorkflowHandle> {
  await dispatcherWith(stack.env.client, taskQueue, settings).start({ finding, playbook });
  return stack.env.client.workflow.getHandle(remediationWorkflowId(finding.resource));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const outcomesAtLeast = (handle: WorkflowHandle, n: number) =>
  until(`${n} outcomes`, async () => {
    const snapshot = await handle.query(statusQuery);
    return snapshot.outcomes.length >= n ? snapshot : undefined;
  });

/** The CANCELLED notification about `resource` among at least `messages` on the notify inbox. */
async function cancelledNotification(
  resource: string,
  messages = 1,
): Promise<{ Subject?: string; Message?: string } | undefined> {
  const notes = await drainQueue(stack.raw.sqs, stack.resources.notifyInboxUrl, messages);
  return notes
    .map((m) => JSON.parse(m.Body ?? '{}') as { Subject?: string; Message?: string })
    .find((n) => String(n.Subject).startsWith('[CANCELLED]') && String(n.Subject).includes(resource));
}

/** A promise with its resolver, for holding an activity until the test lets it go. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((r) => {
    open = r;
  });
  return { wait, open };
}

/** Real activities whose apply steps are counted. */
function countingApplies() {
  const real = stack.activities();
  let applies = 0;
  const activities = {
    ...real,
    applyStep: async (req: Parameters<typeof real.applyStep>[0]) => {
      applies += 1;
      return real.applyStep(req);
    },
  };
  return { activities, applies: () => applies };
}

/**
 * Real activities whose apply step, once its AWS call has landed, is held until the test releases it: the call still
 * "in flight" when the cancellation comes.
 */
function heldApplies() {
  const real = stack.activities();
  const applied = gate();
  const release = gate();
  const activities = {
    ...real,
    applyStep: async (req: Parameters<typeof real.applyStep>[0]) => {
      const result = await real.applyStep(req);
      applied.open();
      await release.wait;
      return result;
    },
  };
  return { activities, applied, release };
}

describe('a resource broken again after its fix', () => {
  it('is fixed again in the same execution, without and with a COMPLIANT in between; a stale re-send stays a repeat', async () => {
    // Prepare
    const taskQueue = `q-${randomUUID()}`;
    const bucket = newBucket();
    await createBucket(stack.raw.s3, bucket);
    const counted = countingApplies();
    const worker = await stack.worker(taskQueue, counted.activities);
    const settings = fastSettings({}, 5000);
    const reopen = () => stack.raw.s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket }));
    const now = () => new Date().toISOString();

    // Act
    const result: RemediationResult = await worker.runUntil(async () => {
      const handle = await dispatch(taskQueue, s3Finding(bucket), S3, settings);
      await outcomesAtLeast(handle, 1);
      // Someone re-opens it; Config evaluates it again: NON_COMPLIANT, newer than the fix, no COMPLIANT between.
      await reopen();
      await dispatch(taskQueue, s3Finding(bucket, { eventId: 'evt-2', observedAt: now() }), S3, settings);
      await outcomesAtLeast(handle, 2);
      // The same evaluation redelivered (SQS) is a repeat; then COMPLIANT, re-opened, NON_COMPLIANT again.
      await dispatch(taskQueue, s3Finding(bucket, { eventId: 'evt-1-again' }), S3, settings);
      const compliant = s3Finding(bucket, {
        eventId: 'evt-3',
        state: 'PASSED',
        observedAt: now(),
        details: { complianceType: 'COMPLIANT' },
      });
      await dispatcherWith(stack.env.client, taskQueue, settings).signalOnly({
        finding: compliant,
        playbook: S3,
      });
      await reopen();
      await dispatch(taskQueue, s3Finding(bucket, { eventId: 'evt-4', observedAt: now() }), S3, settings);
      const snapshot = await outcomesAtLeast(handle, 3);
      expect(snapshot).toMatchObject({ repeats: 1, regressions: 2, compliantSignals: 1 });
      return handle.result();
    });

    // Assess: three verified fixes of one bucket in one run, one change each.
    expect(result.outcomes.map((o) => o.status)).toEqual(['REMEDIATED', 'REMEDIATED', 'REMEDIATED']);
    expect(counted.applies()).toBe(3);
    expect((await publicAccessBlockOf(stack.raw.s3, bucket))?.BlockPublicAcls).toBe(true);
  });

  it('is escalated as flapping when it is broken again more often than the policy allows', async () => {
    // Prepare: one remediation per hour at most.
    const taskQueue = `q-${randomUUID()}`;
    const bucket = newBucket();
    await createBucket(stack.raw.s3, bucket);
    const worker = await stack.worker(taskQueue, stack.activities());
    const settings = fastSettings({ flapping: { maxPerWindow: 1, windowMs: 3_600_000 } }, 3000);

    // Act
    const result: RemediationResult = await worker.runUntil(async () => {
      const handle = await dispatch(taskQueue, s3Finding(bucket), S3, settings);
      await outcomesAtLeast(handle, 1);
      await stack.raw.s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket }));
      const again = s3Finding(bucket, { eventId: 'evt-again', observedAt: new Date().toISOString() });
      await dispatch(taskQueue, again, S3, settings);
      return handle.result();
    });

    // Assess
    expect(result.outcomes.map((o) => o.status)).toEqual(['REMEDIATED', 'ESCALATED']);
    expect(result.outcomes[1]?.escalation).toMatchObject({ errorType: 'Flapping' });
    expect(result.outcomes[1]?.reason).toMatch(/something keeps undoing the fix/);
  });
});

describe('cancellation', () => {
  it('mid-apply of a configuration fix: restores the prior state, records CANCELLED, notifies, audits, ends Canceled', async () => {
    // Prepare: the real PutPublicAccessBlock lands, then the activity is held (the call "still in flight").
    const taskQueue = `q-${randomUUID()}`;
    const bucket = newBucket();
    await createBucket(stack.raw.s3, bucket);
    const { activities, applied, release } = heldApplies();
    const worker = await stack.worker(taskQueue, activities);

    // Act
    const [ended, description] = await worker.runUntil(async () => {
      const handle = await dispatch(taskQueue, s3Finding(bucket));
      await applied.wait;
      await handle.cancel();
      release.open();
      const error = await handle.result().catch((err: unknown) => err);
      return [error, await handle.describe()] as const;
    });

    // Assess
    expect(ended).toBeInstanceOf(WorkflowFailedError);
    expect((ended as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(description.status.name).toBe('CANCELLED');
    expect(description.typedSearchAttributes.get(RemediationStatusKey)).toBe('CANCELLED');
    expect(await publicAccessBlockOf(stack.raw.s3, bucket)).toBeNull();
    const note = await cancelledNotification(bucket);
    expect(note?.Subject).toBe(`[CANCELLED] ${S3} on ${bucket} (123456789012/ap-northeast-1)`);
    expect(note?.Message).toContain('restored put-public-access-block from the recorded prior state');
    const audit = await stack.raw.s3.send(
      new ListObjectsV2Command({ Bucket: stack.resources.auditBucket, Prefix: 'audit/' }),
    );
    expect(audit.Contents?.map((o) => o.Key).filter((k) => k?.includes(bucket))).toEqual([
      expect.stringMatching(/\/outcome-.*\.json$/),
    ]);
  });

  it('during the analysis: nothing is applied or "restored", CANCELLED before any change', async () => {
    // Prepare: the preparation (read-only) is held after its reads; the cancellation comes meanwhile. (A cancellation
    // delivered in the same activation as the preparation's result would reach the apply loop with the scope already
    // cancelled; the loop's guard for that case cannot be forced from here.)
    const taskQueue = `q-${randomUUID()}`;
    const bucket = newBucket();
    await createBucket(stack.raw.s3, bucket);
    const real = stack.activities();
    const prepared = gate();
    const release = gate();
    let applies = 0;
    let compensations = 0;
    const worker = await stack.worker(taskQueue, {
      ...real,
      // The run's first finding is prepared in the activity that opens the run.
      openRemediation: async (req: Parameters<typeof real.openRemediation>[0]) => {
        const result = await real.openRemediation(req);
        prepared.open();
        await release.wait;
        return result;
      },
      applyStep: async (req: Parameters<typeof real.applyStep>[0]) => {
        applies += 1;
        return real.applyStep(req);
      },
      compensateStep: async (req: Parameters<typeof real.compensateStep>[0]) => {
        compensations += 1;
        return real.compensateStep(req);
      },
    });

    // Act
    await worker.runUntil(async () => {
      const handle = await dispatch(taskQueue, s3Finding(bucket));
      await prepared.wait;
      await handle.cancel();
      release.open();
      await handle.result().catch(() => undefined);
    });

    // Assess
    expect([applies, compensations]).toEqual([0, 0]);
    const note = await cancelledNotification(bucket);
    expect(note?.Subject).toMatch(/^\[CANCELLED\]/);
    expect(note?.Message).toMatch(/: before any change/);
  });

  it('mid-apply of containment: keeps the deactivated key (fail closed) and records CANCELLED', async () => {
    // Prepare
    const iam = new IAMClient({
      endpoint: stack.moto.endpoint,
      region: 'us-east-1',
      credentials: TEST_CREDENTIALS,
    });
    const user = `lc-${randomUUID().slice(0, 8)}`;
    await iam.send(new CreateUserCommand({ UserName: user }));
    const keyId =
      (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey?.AccessKeyId ?? '';
    const finding = guardDutyFinding('AWS::IAM::AccessKey', keyId, {
      control: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller',
      details: {
        guardDutyFindingId: 'gd-lc',
        resourceRole: 'TARGET',
        accessKeyId: keyId,
        userName: user,
        userType: 'IAMUser',
      },
    });
    const taskQueue = `q-${randomUUID()}`;
    const { activities, applied, release } = heldApplies();
    const worker = await stack.worker(taskQueue, activities);

    // Act
    const snapshot = await worker.runUntil(async () => {
      const handle = await dispatch(taskQueue, finding, 'iam-contain-access-key');
      await applied.wait;
      await handle.cancel();
      release.open();
      await handle.result().catch(() => undefined);
      return (await stack.env.client.workflow.getHandle(handle.workflowId).describe()).status.name;
    });

    // Assess
    expect(snapshot).toBe('CANCELLED');
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: user }));
    expect(keys.AccessKeyMetadata?.[0]?.Status).toBe('Inactive');
    const note = await cancelledNotification(keyId);
    expect(note?.Subject).toMatch(/^\[CANCELLED\] iam-contain-access-key/);
    expect(note?.Message).toMatch(/kept \(fail closed\): deactivate-access-key/);
    iam.destroy();
  });

  it('by `remediator cancel` while waiting for approval: nothing changes, CANCELLED names who asked and why', async () => {
    // Prepare
    const taskQueue = `q-${randomUUID()}`;
    const bucket = newBucket();
    await createBucket(stack.raw.s3, bucket);
    const worker = await stack.worker(taskQueue, stack.activities());

    // Act
    const [line, status] = await worker.runUntil(async () => {
      const handle = await dispatch(taskQueue, s3Finding(bucket), S3, fastSettings({ mode: 'approve' }));
      await until('the approval request', async () => (await handle.query(statusQuery)).awaitingApproval);
      const said = await cancelRemediation(stack.env.client, handle.workflowId, {
        by: 'alice@ops',
        reason: 'bucket is being retired',
      });
      await handle.result().catch(() => undefined);
      return [said, (await handle.describe()).typedSearchAttributes.get(RemediationStatusKey)] as const;
    });

    // Assess
    expect(line).toMatch(/^cancellation of remediation\/.* requested by alice@ops: bucket is being retired/);
    expect(status).toBe('CANCELLED');
    expect(await publicAccessBlockOf(stack.raw.s3, bucket)).toBeNull();
    // The approval request went to the same topic first.
    const note = await cancelledNotification(bucket, 2);
    expect(note?.Subject).toBe(`[CANCELLED] ${S3} on ${bucket} (123456789012/ap-northeast-1)`);
    expect(note?.Message).toContain('cancelled by alice@ops (bucket is being retired): before any change');
  });

  it('`remediator cancel` refuses what is not a running remediation', async () => {
    await expect(
      cancelRemediation(stack.env.client, 'rollback/x', { by: 'alice@ops', reason: 'why' }),
    ).rejects.toThrow(/is not a remediation/);
    await expect(
      cancelRemediation(
        stack.env.client,
        `remediation/123456789012/ap-northeast-1/AWS::S3::Bucket/${newBucket()}`,
        {
          by: 'alice@ops',
          reason: 'why',
        },
      ),
    ).rejects.toThrow(/^no remediation /);
  });
});

describe('continue-as-new', () => {
  it('absorbs 20,000 repeats in one cool-down across runs, completes, fixed once; rolls back from the current run', async () => {
    // Prepare
    const taskQueue = `q-${randomUUID()}`;
    const bucket = newBucket();
    await createBucket(stack.raw.s3, bucket);
    const counted = countingApplies();
    const worker = await stack.worker(taskQueue, counted.activities);
    const repeats = 20_000;
    // A run continues as new after MAX_FINDINGS_PER_RUN signals, or a few more that arrive while it does.
    const MIN_RUNS = Math.floor(repeats / (2 * MAX_FINDINGS_PER_RUN));
    // The cool-down leaves room for the 20,000 signals (about 55 s on two quiet cores) on a busier machine.
    const settings = fastSettings({}, 110_000);

    // Act: the repeats go straight to the execution by signal, eight at a time as the ingest bridge's batches would
    // (a flood with no pause at all never lets a run's continue-as-new complete: see docs/architecture.md).
    const { result, runs, undone } = await worker.runUntil(async () => {
      const handle = await dispatch(taskQueue, s3Finding(bucket), S3, settings);
      await outcomesAtLeast(handle, 1);
      const target = stack.env.client.workflow.getHandle(handle.workflowId);
      const routed = { finding: s3Finding(bucket, { eventId: 'evt-repeat' }), playbook: S3 };
      const sendStarted = Date.now();
      let sent = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (sent < repeats) {
            sent += 1;
            await target.signal(findingSignal, routed);
          }
        }),
      );
      process.stdout.write(
        `continue-as-new: ${repeats} repeats signalled in ${Date.now() - sendStarted} ms\n`,
      );
      const last = await until(
        'every repeat counted',
        async () => {
          const snapshot = await target.query(statusQuery);
          return snapshot.repeats === repeats ? snapshot : undefined;
        },
        60_000,
      );
      expect(last.continuedAsNew).toBeGreaterThanOrEqual(MIN_RUNS - 1);
      const done = (await target.result()) as RemediationResult;
      const listed = [];
      for await (const run of stack.env.client.workflow.list({
        query: `WorkflowId = '${handle.workflowId}'`,
      })) {
        listed.push(run);
      }
      process.stdout.write(
        `continue-as-new: ${listed.length} runs, history lengths ${listed.map((r) => r.historyLength).join(', ')}\n`,
      );
      // A continued run's outcomes moved on: naming it is refused with the way out; the current run rolls back.
      const continued = listed.find((r) => r.status.name === 'CONTINUED_AS_NEW');
      const request = {
        workflowId: handle.workflowId,
        reason: 'lifecycle test',
        by: 'alice@ops',
        force: false,
        unsigned: true,
      };
      await expect(
        rollback(stack.env.client, taskQueue, {
          ...request,
          runId: continued?.runId ?? 'none',
          exemptFor: '1h',
        }),
      ).rejects.toThrow(/continued as new: .* roll back from that run \(omit --run\)/);
      const undone = await rollback(stack.env.client, taskQueue, {
        ...request,
        exemptFor: '1h',
      });
      return { result: done, runs: listed, undone };
    });

    // Assess: one fix, carried to the last run's result; every run but the last continued as new, each far below
    // the server's per-run signal limit (10,000 on the dev server); the rollback undid the fix.
    expect(counted.applies()).toBe(1);
    expect(result.status).toBe('REMEDIATED');
    expect(result.outcomes.map((o) => o.status)).toEqual(['REMEDIATED']);
    const statuses = runs.map((r) => r.status.name);
    expect(statuses.filter((s) => s === 'COMPLETED')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(MIN_RUNS - 1);
    expect(Math.max(...runs.map((r) => r.historyLength))).toBeLessThan(5 * MAX_FINDINGS_PER_RUN);
    expect(undone.status).toBe('ROLLED_BACK');
    expect(await publicAccessBlockOf(stack.raw.s3, bucket)).toBeNull();
  }, 300_000);
});
