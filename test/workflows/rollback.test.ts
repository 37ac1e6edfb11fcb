/**
 * Operator rollback on the real dev server with real activities against moto, for each playbook family:
 * configuration (S3), containment (isolation, access key) and availability (scale-out); refusal after drift and
 * `--force`; one rollback per run; the exemption it grants. A containment rollback waits for a second approver who is
 * not the requester, and that approver may reject it. And the trust model (docs/architecture.md, Trust model): a
 * rollback's input is a request, so a forged outcome in it is ignored, and only this worker's remediations count.
 * This suite's worker takes unsigned decisions (recorded as unverified); signed ones are test/fault/forgery's.
 */
import { randomUUID } from 'node:crypto';
import { DescribeInstanceAttributeCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import { PutPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { decide } from '../../src/commands/decide';
import { rollback } from '../../src/commands/rollback';
import type { RollbackRequest } from '../../src/commands/rollback';
import { DENY_POLICY_NAME } from '../../src/playbooks/iam-contain-access-key';
import type { ApprovalDecision, ApprovalReceipt, ApprovalRequest } from '../../src/domain/approval';
import { remediationWorkflowId } from '../../src/domain/finding';
import type { Finding } from '../../src/domain/finding';
import type { PlaybookSettings } from '../../src/domain/policy';
import type { RemediationResult } from '../../src/domain/remediation';
import type { RollbackResult } from '../../src/domain/rollback';
import { MAX_ROLLBACK_EXEMPTION_MS } from '../../src/domain/rollback';
import { PlaybookKey, RemediationStatusKey, ResourceIdKey } from '../../src/domain/search-attributes';
import { approvalUpdate, pendingApprovalQuery, statusQuery } from '../../src/workflows/definitions';
import { ROLLBACK_WORKFLOW_TYPE, rollbackWorkflowId } from '../../src/workflows/rollback-definitions';
import { cpuAlarmGroup } from '../helpers/asg';
import {
  createBucket,
  FIXTURE_ACCOUNT,
  FIXTURE_REGION,
  publicAccessBlockOf,
  TEST_CREDENTIALS,
} from '../helpers/aws';
import { launchInstance, motoEc2 } from '../helpers/ec2';
import { configFinding, fastSettings, guardDutyFinding, s3Finding } from '../helpers/fixtures';
import { dispatcherWith } from '../helpers/worker-policies';
import { startWorkflowStack } from '../helpers/workflow-stack';
import type { WorkflowStack } from '../helpers/workflow-stack';

let stack: WorkflowStack;
beforeAll(async () => {
  stack = await startWorkflowStack();
});
afterAll(async () => {
  await stack?.stop();
});

async function remediate(
  taskQueue: string,
  finding: Finding,
  playbook: string,
  overrides: Partial<PlaybookSettings> = {},
  meanwhile?: () => Promise<void>,
): Promise<RemediationResult> {
  // The worker of the queue runs with these settings: the remediation and the rollback both read them from it.
  await dispatcherWith(stack.env.client, taskQueue, fastSettings(overrides, 300)).start({
    finding,
    playbook,
  });
  const handle = stack.env.client.workflow.getHandle(remediationWorkflowId(finding.resource));
  await meanwhile?.();
  return handle.result();
}

function undo(taskQueue: string, finding: Finding, extra: Partial<RollbackRequest> = {}) {
  return rollback(stack.env.client, taskQueue, {
    workflowId: remediationWorkflowId(finding.resource),
    reason: 'broke the nightly export',
    by: 'alice@host',
    force: false,
    exemptFor: '1h',
    // The suite's worker takes unsigned decisions (the local stack's policy); signed ones are test/fault/forgery's.
    unsigned: true,
    ...extra,
  });
}

/** The run `undo` names when given none: the remediation's latest. */
async function latestRun(finding: Finding): Promise<string> {
  return (await stack.env.client.workflow.getHandle(remediationWorkflowId(finding.resource)).describe())
    .runId;
}

/**
 * Polls `workflowId` (which may not exist yet) until it waits for a decision: a containment rollback waits for a
 * second approver after checking its requester.
 */
async function pendingRequest(workflowId: string): Promise<ApprovalRequest> {
  const handle = stack.env.client.workflow.getHandle(workflowId);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ask = await handle.query(pendingApprovalQuery).catch(() => undefined);
    if (ask) return ask;
    if (Date.now() > deadline) throw new Error(`${workflowId} never waited for a decision`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Undoes a containment as two people do: alice asks for the rollback (`undo`), and once it waits for a second
 * approver, bob approves it as `remediator approve rollback/…` does (unsigned, which this suite's worker accepts).
 */
async function undoContainment(
  taskQueue: string,
  finding: Finding,
  extra: Partial<RollbackRequest> = {},
): Promise<{ result: RollbackResult; request: ApprovalRequest; receipt: ApprovalReceipt }> {
  const runId = await latestRun(finding);
  const rollbackId = rollbackWorkflowId(remediationWorkflowId(finding.resource), runId);
  const [result, [request, receipt]] = await Promise.all([
    undo(taskQueue, finding, { runId, ...extra }),
    (async () => {
      const ask = await pendingRequest(rollbackId);
      const { receipt } = await decide(
        stack.env.client,
        rollbackId,
        { decision: 'approve', reason: 'confirmed with the key owner', by: 'bob@host' },
        true,
      );
      return [ask, receipt] as const;
    })(),
  ]);
  return { result, request, receipt };
}

/** Sends a decision by update and returns the refusal's message (fails if it was accepted). */
async function refusalOf(workflowId: string, decision: ApprovalDecision): Promise<string> {
  try {
    await stack.env.client.workflow.getHandle(workflowId).executeUpdate(approvalUpdate, { args: [decision] });
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    return (err as WorkflowUpdateFailedError).cause?.message ?? '';
  }
  throw new Error(`the decision was accepted: ${JSON.stringify(decision)}`);
}

async function withWorker<T>(fn: (taskQueue: string, worker: Worker) => Promise<T>): Promise<T> {
  const taskQueue = `q-${randomUUID()}`;
  const worker = await stack.worker(taskQueue, stack.activities());
  return worker.runUntil(fn(taskQueue, worker));
}

const blockOf = (bucket: string) => publicAccessBlockOf(stack.raw.s3, bucket);

it('configuration (S3): restores the recorded prior state, verifies it, exempts the bucket, and refuses a second rollback', async () => {
  const bucket = `rb-${randomUUID().slice(0, 12)}`;
  await createBucket(stack.raw.s3, bucket);
  const finding = s3Finding(bucket);

  const { remediated, result, again, refusal, duplicate, runId } = await withWorker(async (taskQueue) => {
    const r = await remediate(taskQueue, finding, 's3-block-public-access');
    const { runId } = await stack.env.client.workflow
      .getHandle(remediationWorkflowId(finding.resource))
      .describe();
    const rb = await undo(taskQueue, finding);
    const sameRun = await undo(taskQueue, finding, { runId }).catch((err: Error) => err.message);
    const next = await remediate(
      taskQueue,
      s3Finding(bucket, { eventId: 'evt-after-rollback' }),
      's3-block-public-access',
    );
    const second = await undo(taskQueue, finding).catch((err: Error) => err.message);
    return { remediated: r, result: rb, again: next, refusal: second, duplicate: sameRun, runId };
  });

  expect(remediated.status).toBe('REMEDIATED');
  expect(remediated.outcomes[0]?.verification?.stateAfter).toMatchObject({
    publicAccessBlock: expect.any(Object),
  });
  expect(result).toMatchObject({
    status: 'ROLLED_BACK',
    // The decider the worker recorded: an unsigned request is taken (this policy allows it) but marked unverified.
    by: 'alice@host (unverified)',
    approvedBy: ['alice@host (unverified)'],
    requestedReason: 'broke the nightly export',
    drift: [],
    unrestored: [],
    restored: [expect.objectContaining({ step: 'put-public-access-block', changed: true })],
  });
  expect(Date.parse(result.exemptUntil ?? '') - Date.now()).toBeGreaterThan(55 * 60_000);
  expect(await blockOf(bucket)).toBeNull();
  // The exemption keeps the remediator off the bucket: the next finding is EXEMPT, not fixed again.
  expect(again.status).toBe('EXEMPT');
  expect(again.outcomes[0]?.reason).toMatch(
    /^exempted by alice@host \(unverified\) until .*: rolled back: broke the nightly export$/,
  );
  // The latest run (the exempt one) changed nothing: nothing to roll back there.
  expect(refusal).toMatch(/changed nothing to roll back \(EXEMPT\)/);
  // One rollback per run.
  expect(duplicate).toBe(
    `run ${runId} of ${remediationWorkflowId(finding.resource)} already has a rollback: rollback/${remediationWorkflowId(finding.resource)}/${runId}`,
  );
});

it('refuses when the resource changed since the remediation, changing nothing', async () => {
  const bucket = `rb-drift-${randomUUID().slice(0, 8)}`;
  await createBucket(stack.raw.s3, bucket);
  const finding = s3Finding(bucket);

  const refused = await withWorker(async (taskQueue) => {
    const { outcomes } = await remediate(taskQueue, finding, 's3-block-public-access');
    // Someone loosened the block by hand after the fix.
    await stack.raw.s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: false,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }),
    );
    const description = await stack.env.client.workflow
      .getHandle(remediationWorkflowId(finding.resource))
      .describe();
    expect(outcomes[0]?.status).toBe('REMEDIATED');
    return undo(taskQueue, finding, { runId: description.runId });
  });
  expect(refused.status).toBe('REFUSED');
  expect(refused.reason).toMatch(
    /^the resource changed since the remediation \(publicAccessBlock: expected .*BlockPublicAcls":true.*found .*BlockPublicAcls":false/,
  );
  expect(refused.restored).toEqual([]);
  expect((await blockOf(bucket))?.BlockPublicAcls).toBe(false);
});

it('--force rolls back a drifted resource, naming the drift', async () => {
  const bucket = `rb-force-${randomUUID().slice(0, 8)}`;
  await createBucket(stack.raw.s3, bucket);
  const finding = s3Finding(bucket);

  const result = await withWorker(async (taskQueue) => {
    await remediate(taskQueue, finding, 's3-block-public-access');
    await stack.raw.s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: false,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }),
    );
    return undo(taskQueue, finding, { force: true });
  });

  expect(result.status).toBe('ROLLED_BACK');
  expect(result.drift).toEqual([expect.stringMatching(/^publicAccessBlock: expected /)]);
  expect(await blockOf(bucket)).toBeNull();
});

it('containment (isolation): puts the instance back in its groups and restores its attributes', async () => {
  const ec2 = motoEc2(stack.moto.endpoint);
  const instanceId = await launchInstance(ec2, { InstanceInitiatedShutdownBehavior: 'stop' });
  const before = (
    await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))
  ).Reservations?.[0]?.Instances?.[0]?.NetworkInterfaces?.[0]?.Groups?.map((g) => g.GroupId);
  const finding = guardDutyFinding('AWS::EC2::Instance', instanceId);

  const { result, request, receipt } = await withWorker(async (taskQueue) => {
    const r = await remediate(taskQueue, finding, 'ec2-isolate-instance');
    expect(r.status).toBe('REMEDIATED');
    return undoContainment(taskQueue, finding, { reason: 'false positive: pen test' });
  });

  // A containment waited for a second approver, who is not the requester.
  expect(request).toMatchObject({ requestId: 'rollback#1', playbook: 'ec2-isolate-instance' });
  expect(receipt).toMatchObject({
    requestId: 'rollback#1',
    decision: 'approve',
    by: 'bob@host (unverified)',
  });
  expect(result.status).toBe('ROLLED_BACK');
  expect(result.approvedBy).toEqual(['alice@host (unverified)', 'bob@host (unverified)']);
  expect(result.unrestored).toEqual([]);
  const after = (
    await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))
  ).Reservations?.[0]?.Instances?.[0]?.NetworkInterfaces?.[0]?.Groups?.map((g) => g.GroupId);
  expect(after).toEqual(before);
  const protection = await ec2.send(
    new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'disableApiTermination' }),
  );
  expect(protection.DisableApiTermination?.Value).toBe(false);
  ec2.destroy();
});

it('containment (access key): reactivates the key', async () => {
  const iam = new IAMClient({
    endpoint: stack.moto.endpoint,
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
  });
  const user = `rb-${randomUUID().slice(0, 8)}`;
  await iam.send(new CreateUserCommand({ UserName: user }));
  const keyId = (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey?.AccessKeyId ?? '';
  const finding = guardDutyFinding('AWS::IAM::AccessKey', keyId, {
    control: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller',
    details: {
      guardDutyFindingId: 'gd-rb',
      resourceRole: 'TARGET',
      accessKeyId: keyId,
      userName: user,
      userType: 'IAMUser',
    },
  });

  const { result, request } = await withWorker(async (taskQueue) => {
    await remediate(taskQueue, finding, 'iam-contain-access-key');
    return undoContainment(taskQueue, finding, { reason: 'the key owner rotated it' });
  });

  expect(request).toMatchObject({ requestId: 'rollback#1', playbook: 'iam-contain-access-key' });
  expect(result).toMatchObject({
    status: 'ROLLED_BACK',
    by: 'alice@host (unverified)',
    approvedBy: ['alice@host (unverified)', 'bob@host (unverified)'],
  });
  const keys = await iam.send(new ListAccessKeysCommand({ UserName: user }));
  expect(keys.AccessKeyMetadata?.[0]?.Status).toBe('Active');
  iam.destroy();
});

it('containment: the requester cannot be their own second approver, and the second approver can reject: REFUSED, nothing restored', async () => {
  const iam = new IAMClient({
    endpoint: stack.moto.endpoint,
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
  });
  const user = `rb-self-${randomUUID().slice(0, 8)}`;
  await iam.send(new CreateUserCommand({ UserName: user }));
  const keyId = (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey?.AccessKeyId ?? '';
  const finding = guardDutyFinding('AWS::IAM::AccessKey', keyId, {
    control: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller',
    details: {
      guardDutyFindingId: 'gd-rb-self',
      resourceRole: 'TARGET',
      accessKeyId: keyId,
      userName: user,
      userType: 'IAMUser',
    },
  });

  const { result, ownApproval, stillWaiting, rejection } = await withWorker(async (taskQueue) => {
    await remediate(taskQueue, finding, 'iam-contain-access-key');
    const runId = await latestRun(finding);
    const rollbackId = rollbackWorkflowId(remediationWorkflowId(finding.resource), runId);
    const [rb, decisions] = await Promise.all([
      undo(taskQueue, finding, { runId, reason: 'the key owner rotated it' }),
      (async () => {
        const ask = await pendingRequest(rollbackId);
        // (a) alice approves her own rollback: refused, the request keeps waiting.
        const own = await refusalOf(rollbackId, {
          decision: 'approve',
          reason: 'I am sure',
          by: 'alice@host',
          requestId: ask.requestId,
        });
        const waiting = await stack.env.client.workflow.getHandle(rollbackId).query(pendingApprovalQuery);
        // (b) bob, the second person, rejects it.
        const rejected = await stack.env.client.workflow.getHandle(rollbackId).executeUpdate(approvalUpdate, {
          args: [
            {
              decision: 'reject',
              reason: 'the key was used from Tor',
              by: 'bob@host',
              requestId: ask.requestId,
            },
          ],
        });
        return { ownApproval: own, stillWaiting: waiting, rejection: rejected };
      })(),
    ]);
    return { result: rb, ...decisions };
  });

  expect(ownApproval).toBe(
    'alice@host (unverified) has already decided: a second approver must be someone else',
  );
  expect(stillWaiting?.requestId).toBe('rollback#1');
  expect(rejection).toMatchObject({
    requestId: 'rollback#1',
    decision: 'reject',
    by: 'bob@host (unverified)',
  });
  expect(result).toMatchObject({
    status: 'REFUSED',
    reason: 'rejected by bob@host (unverified): the key was used from Tor',
    by: 'alice@host (unverified)',
    approvedBy: ['alice@host (unverified)'],
    restored: [],
  });
  expect(result.exemptUntil).toBeUndefined();
  // The key stays contained.
  const keys = await iam.send(new ListAccessKeysCommand({ UserName: user }));
  expect(keys.AccessKeyMetadata?.[0]?.Status).toBe('Inactive');
  iam.destroy();
});

it('availability (scale-out): restores the recorded desired capacity', async () => {
  const group = await cpuAlarmGroup(stack.moto.endpoint, `rb-asg-${randomUUID().slice(0, 6)}`);

  const result = await withWorker(async (taskQueue) => {
    const r = await remediate(
      taskQueue,
      group.finding,
      'asg-scale-out',
      { propagationWaitMs: 1500 },
      async () => {
        // The new capacity takes the load while the workflow waits.
        const handle = stack.env.client.workflow.getHandle(remediationWorkflowId(group.finding.resource));
        for (let i = 0; i < 100; i += 1) {
          if ((await handle.query(statusQuery).catch(() => undefined))?.phase === 'VERIFYING') break;
          await new Promise((res) => setTimeout(res, 50));
        }
        await group.setAlarm('OK');
      },
    );
    expect(r.status).toBe('REMEDIATED');
    expect(await group.desired()).toBe(2);
    return undo(taskQueue, group.finding, { reason: 'load test over' });
  });

  expect(result.status).toBe('ROLLED_BACK');
  expect(await group.desired()).toBe(1);
  group.destroy();
});

/** Starts a rollback as anyone who can start a workflow could: straight on the task queue, with any input. */
async function startDirectly(taskQueue: string, input: Record<string, unknown>) {
  // Under the id a rollback of that run has (a rollback under any other id is refused, whatever it asks).
  const target = input['target'] as { workflowId?: string; runId?: string } | undefined;
  return stack.env.client.workflow.start(ROLLBACK_WORKFLOW_TYPE, {
    workflowId:
      target?.workflowId && target.runId
        ? rollbackWorkflowId(target.workflowId, target.runId)
        : `forged/${randomUUID()}`,
    taskQueue,
    args: [input],
  });
}

/** What a forger adds to a rollback request: an outcome of its own making, and settings that would break it. */
function forgedFields(outcome: Record<string, unknown>): Record<string, unknown> {
  return {
    outcome,
    activityTimeoutMs: 1,
    retry: { initialIntervalMs: 1, backoffCoefficient: 1, maximumAttempts: 1, maximumIntervalMs: 1 },
    propagationWaitMs: 0,
  };
}

const ALLOW_ALL = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});

it('a forged outcome in the input is ignored: the rollback restores the recorded prior state, never the allow-all document', async () => {
  // Prepare: a key contained with its older sessions denied (the record), and a role the forger wants opened.
  const iam = new IAMClient({
    endpoint: stack.moto.endpoint,
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
  });
  const user = `rb-forge-${randomUUID().slice(0, 8)}`;
  const victim = `victim-${randomUUID().slice(0, 8)}`;
  await iam.send(new CreateUserCommand({ UserName: user }));
  await iam.send(
    new CreateRoleCommand({
      RoleName: victim,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  const keyId = (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey?.AccessKeyId ?? '';
  const finding = guardDutyFinding('AWS::IAM::AccessKey', keyId, {
    control: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller',
    details: {
      guardDutyFindingId: 'gd-forge',
      resourceRole: 'TARGET',
      accessKeyId: keyId,
      userName: user,
      userType: 'IAMUser',
    },
  });
  const forgedFinding = guardDutyFinding('AWS::IAM::AccessKey', 'ASIAFORGEDSESSION001', {
    control: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller',
    details: {
      guardDutyFindingId: 'gd-forged',
      resourceRole: 'TARGET',
      accessKeyId: 'ASIAFORGEDSESSION001',
      userName: victim,
      userType: 'AssumedRole',
    },
  });
  const forgedPrior = {
    userName: '',
    roleName: victim,
    accessKeyId: 'ASIAFORGEDSESSION001',
    status: 'temporary',
    denyPolicyBefore: ALLOW_ALL,
    capturedAt: '2026-01-01T00:00:00.000Z',
  };
  const at = new Date().toISOString();

  // Act: remediate; then start the rollback directly, with a forged outcome and an exemption of ten years.
  const { remediated, forged, labels, notRemediation } = await withWorker(async (taskQueue) => {
    const r = await remediate(taskQueue, finding, 'iam-contain-access-key', {
      options: { denyOlderSessions: true },
    });
    const { runId } = await stack.env.client.workflow
      .getHandle(remediationWorkflowId(finding.resource))
      .describe();
    const handle = await startDirectly(taskQueue, {
      target: { workflowId: remediationWorkflowId(finding.resource), runId },
      reason: 'x'.repeat(5000),
      by: 'mallory@host',
      force: true,
      exemptForMs: 10 * 365 * 24 * 3600 * 1000,
      ...forgedFields({
        finding: forgedFinding,
        playbook: 'iam-contain-access-key',
        status: 'REMEDIATED',
        reason: 'forged',
        prior: forgedPrior,
        changes: [
          { step: 'revoke-older-role-sessions', changed: true, detail: 'forged', prior: forgedPrior, at },
        ],
        compensations: [],
        startedAt: at,
        finishedAt: at,
      }),
    });
    // A containment: it waits for a second approver besides the requester (unsigned, which this worker accepts).
    const ask = await pendingRequest(handle.workflowId);
    const receipt = await handle.executeUpdate(approvalUpdate, {
      args: [{ decision: 'approve', reason: 'seen the record', by: 'bob@host', requestId: ask.requestId }],
    });
    expect(receipt.by).toBe('bob@host (unverified)');
    const result: RollbackResult = await handle.result();
    // Started without search attributes: the workflow labels itself with the record's resource and playbook.
    const labels = (await handle.describe()).typedSearchAttributes;
    // (b) A rollback that names a workflow that is not a remediation (this rollback) has nothing recorded to undo.
    const other = await startDirectly(taskQueue, {
      target: { workflowId: handle.workflowId, runId: handle.firstExecutionRunId },
      reason: 'roll back the rollback',
      by: 'mallory@host',
      force: true,
      exemptForMs: 0,
      ...forgedFields({ finding: forgedFinding, playbook: 'iam-contain-access-key', prior: forgedPrior }),
    });
    return {
      remediated: r,
      forged: result,
      labels: [labels.get(ResourceIdKey), labels.get(PlaybookKey), labels.get(RemediationStatusKey)],
      notRemediation: (await other.result()) as RollbackResult,
    };
  });

  // Assess: the record's two steps were undone; the role the forged outcome named was never touched.
  expect(remediated.outcomes[0]?.changes.map((c) => [c.step, c.changed])).toEqual([
    ['deactivate-access-key', true],
    ['deny-older-sessions', true],
  ]);
  expect(forged).toMatchObject({
    status: 'ROLLED_BACK',
    by: 'mallory@host (unverified)',
    approvedBy: ['mallory@host (unverified)', 'bob@host (unverified)'],
    unrestored: [],
    restored: [
      expect.objectContaining({ step: 'deny-older-sessions', changed: true }),
      expect.objectContaining({ step: 'deactivate-access-key', changed: true }),
    ],
  });
  expect(forged.requestedReason).toHaveLength(1000);
  expect(labels).toEqual([keyId, 'iam-contain-access-key', 'ROLLED_BACK']);
  // The exemption is clamped to the longest a rollback grants.
  const exemptFor = Date.parse(forged.exemptUntil ?? '') - Date.now();
  expect(exemptFor).toBeGreaterThan(MAX_ROLLBACK_EXEMPTION_MS - 10 * 60_000);
  expect(exemptFor).toBeLessThanOrEqual(MAX_ROLLBACK_EXEMPTION_MS);
  expect((await iam.send(new ListRolePoliciesCommand({ RoleName: victim }))).PolicyNames).toEqual([]);
  expect((await iam.send(new ListUserPoliciesCommand({ UserName: user }))).PolicyNames).not.toContain(
    DENY_POLICY_NAME,
  );
  const keys = await iam.send(new ListAccessKeysCommand({ UserName: user }));
  expect(keys.AccessKeyMetadata?.[0]?.Status).toBe('Active');
  expect(notRemediation).toMatchObject({
    status: 'REFUSED',
    reason: expect.stringMatching(/is a rollbackWorkflow, not a remediation: nothing recorded to roll back$/),
    restored: [],
  });
  expect((await iam.send(new ListRolePoliciesCommand({ RoleName: victim }))).PolicyNames).toEqual([]);
  iam.destroy();
});

it('a forged outcome for a run that changed nothing is refused: the security group stays closed', async () => {
  // Prepare: a group with only HTTPS open to the world: restricted-ssh has nothing to do there.
  const ec2 = motoEc2(stack.moto.endpoint);
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: `rb-forge-${randomUUID().slice(0, 8)}`, Description: 'web' }),
  );
  const groupId = GroupId ?? '';
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    }),
  );
  const finding = configFinding('restricted-ssh', {
    account: FIXTURE_ACCOUNT,
    region: FIXTURE_REGION,
    resourceType: 'AWS::EC2::SecurityGroup',
    resourceId: groupId,
  });
  const rulesOf = async () =>
    (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups?.[0]
      ?.IpPermissions;
  const before = await rulesOf();
  // What the forger says the group had: SSH and RDP open to the world, "revoked" by the remediation.
  const reopened = {
    ingress: [
      { protocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv4: '0.0.0.0/0' },
      { protocol: 'tcp', fromPort: 3389, toPort: 3389, cidrIpv4: '0.0.0.0/0' },
      { protocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv4: '0.0.0.0/0' },
    ],
    blockedPorts: [22, 3389],
  };
  const at = new Date().toISOString();

  const { remediated, result } = await withWorker(async (taskQueue) => {
    const r = await remediate(taskQueue, finding, 'sg-close-admin-ports');
    const { runId } = await stack.env.client.workflow
      .getHandle(remediationWorkflowId(finding.resource))
      .describe();
    const handle = await startDirectly(taskQueue, {
      target: { workflowId: remediationWorkflowId(finding.resource), runId },
      reason: 'reopen',
      by: 'mallory@host',
      force: true,
      exemptForMs: 3600_000,
      ...forgedFields({
        finding,
        playbook: 'sg-close-admin-ports',
        status: 'REMEDIATED',
        reason: 'forged',
        prior: reopened,
        changes: [
          { step: 'revoke-world-open-admin-ports', changed: true, detail: 'forged', prior: reopened, at },
        ],
        compensations: [],
        verification: { passed: true, detail: 'forged', observed: {}, at },
        startedAt: at,
        finishedAt: at,
      }),
    });
    return { remediated: r, result: (await handle.result()) as RollbackResult };
  });

  expect(remediated.status).toBe('NO_ACTION');
  expect(result).toMatchObject({
    status: 'REFUSED',
    reason: expect.stringMatching(/changed nothing to roll back \(NO_ACTION\)$/),
    restored: [],
  });
  expect(result.exemptUntil).toBeUndefined();
  expect(await rulesOf()).toEqual(before);
  ec2.destroy();
});

it("refuses a remediation of another task queue: only this worker's own records count", async () => {
  const bucket = `rb-queue-${randomUUID().slice(0, 8)}`;
  await createBucket(stack.raw.s3, bucket);
  const finding = s3Finding(bucket);

  const { remediated, result, runId, queues } = await withWorker(async (remediationQueue) => {
    const r = await remediate(remediationQueue, finding, 's3-block-public-access');
    const { runId } = await stack.env.client.workflow
      .getHandle(remediationWorkflowId(finding.resource))
      .describe();
    // A rollback on another queue, served by another worker (and policy), names that run.
    const [rb, otherQueue] = await withWorker(async (otherQueue) => {
      const handle = await startDirectly(otherQueue, {
        target: { workflowId: remediationWorkflowId(finding.resource), runId },
        reason: 'from elsewhere',
        by: 'mallory@host',
        force: false,
        exemptForMs: 3600_000,
      });
      return [(await handle.result()) as RollbackResult, otherQueue] as const;
    });
    return { remediated: r, result: rb, runId, queues: [remediationQueue, otherQueue] };
  });

  expect(remediated.status).toBe('REMEDIATED');
  expect(result).toMatchObject({
    status: 'REFUSED',
    reason:
      `run ${runId} of ${remediationWorkflowId(finding.resource)} ran on task queue ${queues[0]}, not ` +
      `${queues[1]}: roll it back on its own queue`,
    restored: [],
  });
  expect(await blockOf(bucket)).not.toBeNull();
});
