/**
 * Approval inside the remediation, on the real dev server with real activities against moto: the wait, the update
 * (with its validator) and the Web UI's signal, rejection, timeout, and the re-read after approval.
 */
import { randomUUID } from 'node:crypto';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { PutPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import type { ApprovalRequest } from '../../src/domain/approval';
import { remediationWorkflowId } from '../../src/domain/finding';
import type { Finding } from '../../src/domain/finding';
import type { PlaybookSettings } from '../../src/domain/policy';
import type { RemediationResult } from '../../src/domain/remediation';
import { RemediationStatusKey } from '../../src/domain/search-attributes';
import { approvalSignal, approvalUpdate, statusQuery } from '../../src/workflows/definitions';
import type { remediationWorkflow } from '../../src/workflows';
import { createBucket, drainQueue, FIXTURE_ACCOUNT, FIXTURE_REGION, TEST_CREDENTIALS } from '../helpers/aws';
import { launchInstance, motoEc2 } from '../helpers/ec2';
import { configFinding, fastSettings, s3Finding } from '../helpers/fixtures';
import { startWorkflowStack } from '../helpers/workflow-stack';
import type { WorkflowStack } from '../helpers/workflow-stack';
import { dispatcherWith } from '../helpers/worker-policies';

let stack: WorkflowStack;
let ec2: EC2Client;

beforeAll(async () => {
  stack = await startWorkflowStack();
  ec2 = motoEc2(stack.moto.endpoint);
});
afterAll(async () => {
  ec2?.destroy();
  await stack?.stop();
});

type Handle = WorkflowHandle<typeof remediationWorkflow>;

async function dispatch(
  taskQueue: string,
  finding: Finding,
  playbook: string,
  overrides: Partial<PlaybookSettings> = {},
): Promise<Handle> {
  await dispatcherWith(stack.env.client, taskQueue, fastSettings(overrides, 500)).start({
    finding,
    playbook,
  });
  return stack.env.client.workflow.getHandle(remediationWorkflowId(finding.resource));
}

/** Polls the status query until a request waits (and is not `notThis`), or fails after 20 s. */
async function waitingRequest(handle: Handle, notThis?: string): Promise<ApprovalRequest> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const snapshot = await handle.query(statusQuery);
    const ask = snapshot.awaitingApproval;
    if (ask && ask.requestId !== notThis) return ask;
    if (Date.now() > deadline) throw new Error(`no approval request; phase ${snapshot.phase}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The update's refusal message, or fails when the update was accepted. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    return (err as WorkflowUpdateFailedError).cause?.message ?? '';
  }
  throw new Error('the update was accepted');
}

/** An instance accepting IMDSv1 that used it recently, so the IMDSv2 playbook asks for approval. */
async function instanceUsingImdsV1(): Promise<{ instanceId: string; finding: Finding }> {
  const instanceId = await launchInstance(ec2, { MetadataOptions: { HttpTokens: 'optional' } });
  const cloudwatch = new CloudWatchClient({
    endpoint: stack.moto.endpoint,
    region: FIXTURE_REGION,
    credentials: TEST_CREDENTIALS,
  });
  await cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: 'AWS/EC2',
      MetricData: [
        { MetricName: 'MetadataNoToken', Dimensions: [{ Name: 'InstanceId', Value: instanceId }], Value: 3 },
      ],
    }),
  );
  cloudwatch.destroy();
  const finding = configFinding('ec2-imdsv2-check', {
    account: FIXTURE_ACCOUNT,
    region: FIXTURE_REGION,
    resourceType: 'AWS::EC2::Instance',
    resourceId: instanceId,
  });
  return { instanceId, finding };
}

async function httpTokens(instanceId: string): Promise<string | undefined> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return out.Reservations?.[0]?.Instances?.[0]?.MetadataOptions?.HttpTokens;
}

it('waits for approval when the instance used IMDSv1, refuses malformed or stale decisions, and applies once approved', async () => {
  // Prepare
  const taskQueue = `q-${randomUUID()}`;
  const { instanceId, finding } = await instanceUsingImdsV1();
  const worker = await stack.worker(taskQueue, stack.activities());

  const result: RemediationResult = await worker.runUntil(async () => {
    const handle = await dispatch(taskQueue, finding, 'ec2-enforce-imdsv2');
    // Act 1: the execution waits, visibly, and has changed nothing.
    const ask = await waitingRequest(handle);
    expect(ask).toMatchObject({
      requestId: `${finding.eventId}#1`,
      playbook: 'ec2-enforce-imdsv2',
      why: expect.stringContaining('IMDSv1'),
      plan: [expect.objectContaining({ step: 'require-imdsv2' })],
    });
    expect(Date.parse(ask.expiresAt) - Date.parse(ask.requestedAt)).toBe(24 * 3600 * 1000);
    expect((await handle.describe()).typedSearchAttributes.get(RemediationStatusKey)).toBe(
      'AWAITING_APPROVAL',
    );
    expect(await httpTokens(instanceId)).toBe('optional');

    // Act 2: the validator refuses what cannot be a decision, before anything reaches history.
    const decide = (args: Record<string, unknown>) =>
      handle.executeUpdate(approvalUpdate, { args: [args as never] });
    expect(await refusal(decide({ decision: 'approve', reason: ' ', by: 'alice@host' }))).toBe(
      'a reason is required',
    );
    expect(await refusal(decide({ decision: 'approve', reason: 'ok' }))).toMatch(/must name who/);
    expect(await refusal(decide({ decision: 'maybe', reason: 'ok', by: 'alice@host' }))).toMatch(
      /'approve' or 'reject'/,
    );
    expect(
      await refusal(decide({ decision: 'approve', reason: 'ok', by: 'alice@host', requestId: 'other#9' })),
    ).toMatch(/is not the one waiting/);

    // Act 3: a proper approval.
    const receipt = await handle.executeUpdate(approvalUpdate, {
      args: [{ decision: 'approve', reason: 'app team confirmed IMDSv2 support', by: 'alice@host' }],
    });
    // Unsigned (the local stack's policy takes it): recorded as an unverified label, never as an identity.
    expect(receipt).toMatchObject({
      requestId: ask.requestId,
      decision: 'approve',
      by: 'alice@host (unverified)',
    });
    // A second decision for the same request is refused (the request is decided, or no longer waiting).
    expect(await refusal(decide({ decision: 'reject', reason: 'too late', by: 'bob@host' }))).toMatch(
      /already been decided|nothing in this execution is waiting/,
    );
    return handle.result();
  });

  // Assess
  expect(result.status).toBe('REMEDIATED');
  const [outcome] = result.outcomes;
  expect(outcome?.approval).toMatchObject({
    decision: 'approve',
    by: 'alice@host (unverified)',
    reason: 'app team confirmed IMDSv2 support',
    requestId: `${finding.eventId}#1`,
  });
  expect(outcome?.changes).toEqual([expect.objectContaining({ step: 'require-imdsv2', changed: true })]);
  expect(await httpTokens(instanceId)).toBe('required');
  const notes = (await drainQueue(stack.raw.sqs, stack.resources.notifyInboxUrl, 2)).map((m) =>
    JSON.parse(m.Body ?? '{}'),
  );
  const ask = notes.find(
    (n) =>
      n.Subject ===
      `[AWAITING_APPROVAL] ec2-enforce-imdsv2 on ${instanceId} (${FIXTURE_ACCOUNT}/${FIXTURE_REGION})`,
  );
  expect(ask?.Message).toContain('A remediation waits for your approval');
  expect(ask?.Message).toContain(`remediator approve '${remediationWorkflowId(finding.resource)}'`);
});

it('takes a rejection sent as a signal from the Web UI, ignoring a signal that fails the checks', async () => {
  // Prepare
  const taskQueue = `q-${randomUUID()}`;
  const { instanceId, finding } = await instanceUsingImdsV1();
  const worker = await stack.worker(taskQueue, stack.activities());

  // Act
  const result: RemediationResult = await worker.runUntil(async () => {
    const handle = await dispatch(taskQueue, finding, 'ec2-enforce-imdsv2');
    const ask = await waitingRequest(handle);
    // A signal cannot be refused; one without an identity is ignored and the request keeps waiting.
    await handle.signal(approvalSignal, { decision: 'approve', reason: 'looks fine' } as never);
    await new Promise((r) => setTimeout(r, 500));
    expect((await handle.query(statusQuery)).awaitingApproval?.requestId).toBe(ask.requestId);
    await handle.signal(approvalSignal, {
      decision: 'reject',
      reason: 'legacy agent still needs IMDSv1',
      by: 'carol (web ui)',
      requestId: ask.requestId,
    });
    return handle.result();
  });

  // Assess: rejected, recorded, nothing changed.
  expect(result.status).toBe('REJECTED');
  expect(result.outcomes[0]).toMatchObject({
    status: 'REJECTED',
    reason: 'rejected by carol (web ui) (unverified): legacy agent still needs IMDSv1',
    approval: { decision: 'reject', by: 'carol (web ui) (unverified)' },
    changes: [],
  });
  expect(result.outcomes[0]?.prior).toBeUndefined();
  expect(await httpTokens(instanceId)).toBe('optional');
});

it('escalates with a ticket when nobody decides before the approval times out', async () => {
  // Prepare
  const taskQueue = `q-${randomUUID()}`;
  const { instanceId, finding } = await instanceUsingImdsV1();
  const worker = await stack.worker(taskQueue, stack.activities());

  // Act
  const result: RemediationResult = await worker.runUntil(async () => {
    const handle = await dispatch(taskQueue, finding, 'ec2-enforce-imdsv2', { approvalTimeoutMs: 1500 });
    return handle.result();
  });

  // Assess
  expect(result.status).toBe('ESCALATED');
  expect(result.outcomes[0]?.escalation).toMatchObject({
    errorType: 'ApprovalTimeout',
    ticket: expect.stringMatching(/^REM-/),
    reason: expect.stringMatching(/^no approval decision within 2 s/),
  });
  expect(await httpTokens(instanceId)).toBe('optional');
});

it("re-reads the resource after approval: a bucket fixed meanwhile ends in NO_ACTION (policy mode 'approve')", async () => {
  // Prepare
  const taskQueue = `q-${randomUUID()}`;
  const bucket = `appr-${randomUUID().slice(0, 12)}`;
  await createBucket(stack.raw.s3, bucket);
  const worker = await stack.worker(taskQueue, stack.activities());

  // Act
  const result: RemediationResult = await worker.runUntil(async () => {
    const handle = await dispatch(taskQueue, s3Finding(bucket), 's3-block-public-access', {
      mode: 'approve',
    });
    const ask = await waitingRequest(handle);
    expect(ask.why).toBe('the policy requires approval for s3-block-public-access');
    // Someone fixes the bucket by hand while the request waits.
    await stack.raw.s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }),
    );
    await handle.executeUpdate(approvalUpdate, {
      args: [{ decision: 'approve', reason: 'go', by: 'dave@host' }],
    });
    return handle.result();
  });

  // Assess
  expect(result.status).toBe('NO_ACTION');
  expect(result.outcomes[0]?.approval?.by).toBe('dave@host (unverified)');
  expect(result.outcomes[0]?.changes).toEqual([]);
});

it('asks again when the plan changed while waiting, and refuses an approval of the old request', async () => {
  // Prepare: a group with world-open SSH over IPv4; policy mode 'approve'.
  const taskQueue = `q-${randomUUID()}`;
  const { GroupId = '' } = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: `appr-${randomUUID().slice(0, 8)}`,
      Description: 'approval',
    }),
  );
  const ssh = (range: object) =>
    ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, ...range }],
      }),
    );
  await ssh({ IpRanges: [{ CidrIp: '0.0.0.0/0' }] });
  const finding = configFinding('restricted-ssh', {
    account: FIXTURE_ACCOUNT,
    region: FIXTURE_REGION,
    resourceType: 'AWS::EC2::SecurityGroup',
    resourceId: GroupId,
  });
  const worker = await stack.worker(taskQueue, stack.activities());

  // Act
  const result: RemediationResult = await worker.runUntil(async () => {
    const handle = await dispatch(taskQueue, finding, 'sg-close-admin-ports', { mode: 'approve' });
    const first = await waitingRequest(handle);
    // While it waits, someone opens SSH to the IPv6 world too: the approved plan no longer covers everything.
    await ssh({ Ipv6Ranges: [{ CidrIpv6: '::/0' }] });
    await handle.executeUpdate(approvalUpdate, {
      args: [{ decision: 'approve', reason: 'ok', by: 'erin@host', requestId: first.requestId }],
    });
    const second = await waitingRequest(handle, first.requestId);
    expect(second.requestId).toBe(`${finding.eventId}#2`);
    expect(second.why).toMatch(/^the resource changed while waiting/);
    expect(second.plan.map((p) => p.description).join(' ')).toContain('::/0');
    expect(
      await refusal(
        handle.executeUpdate(approvalUpdate, {
          args: [{ decision: 'approve', reason: 'ok', by: 'erin@host', requestId: first.requestId }],
        }),
      ),
    ).toMatch(/is not the one waiting/);
    await handle.executeUpdate(approvalUpdate, {
      args: [{ decision: 'approve', reason: 'ok, both', by: 'erin@host', requestId: second.requestId }],
    });
    return handle.result();
  });

  // Assess: both world-open pieces closed, under the second approval.
  expect(result.status).toBe('REMEDIATED');
  expect(result.outcomes[0]?.approval?.requestId).toBe(`${finding.eventId}#2`);
  const group = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId] }));
  const open = (group.SecurityGroups?.[0]?.IpPermissions ?? []).filter(
    (p) => (p.IpRanges?.length ?? 0) + (p.Ipv6Ranges?.length ?? 0) > 0,
  );
  expect(open).toEqual([]);
});
