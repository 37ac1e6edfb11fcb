/**
 * The remediation workflow on the real Temporal dev server, with real activities against moto. Failures that moto
 * cannot produce (AccessDenied, a step that breaks after another succeeded) are injected into the AWS client or the
 * activity and named as such.
 */
import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { SNSServiceException } from '@aws-sdk/client-sns';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { remediationWorkflowId } from '../../src/domain/finding';
import type { Finding } from '../../src/domain/finding';
import type { RemediationResult } from '../../src/domain/remediation';
import { RemediationStatusKey } from '../../src/domain/search-attributes';
import { statusQuery } from '../../src/workflows/definitions';
import type { remediationWorkflow } from '../../src/workflows';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { allowAllGroupName } from '../../src/playbooks/ec2-isolate-instance/isolation-groups';
import {
  createBucket,
  drainQueue,
  FIXTURE_ACCOUNT,
  FIXTURE_REGION,
  motoClients,
  publicAccessBlockOf,
} from '../helpers/aws';
import { launchInstance, motoEc2 } from '../helpers/ec2';
import { configFinding, fastSettings, guardDutyFinding, s3Finding } from '../helpers/fixtures';
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

const PLAYBOOK = 's3-block-public-access';

const blockOf = (bucket: string) => publicAccessBlockOf(stack.raw.s3, bucket);

function newBucket(): string {
  return `wf-${randomUUID().slice(0, 12)}`;
}

async function dispatch(
  taskQueue: string,
  finding: Finding,
  settings = fastSettings(),
): Promise<WorkflowHandle<typeof remediationWorkflow>> {
  const dispatcher = dispatcherWith(stack.env.client, taskQueue, settings);
  await dispatcher.start({ finding, playbook: PLAYBOOK });
  return stack.env.client.workflow.getHandle(remediationWorkflowId(finding.resource));
}

const ALL_ON = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

it('remediates a public bucket: blocked, verified, notified, searchable', async () => {
  // Prepare
  const taskQueue = `q-${randomUUID()}`;
  const bucket = newBucket();
  await createBucket(stack.raw.s3, bucket);
  const worker = await stack.worker(taskQueue, stack.activities());

  // Act
  const result: RemediationResult = await worker.runUntil(async () => {
    const handle = await dispatch(taskQueue, s3Finding(bucket));
    return handle.result();
  });

  // Assess
  expect(result.status).toBe('REMEDIATED');
  const [outcome] = result.outcomes;
  expect(outcome?.prior).toEqual({ publicAccessBlock: null });
  expect(outcome?.changes).toEqual([
    expect.objectContaining({ step: 'put-public-access-block', changed: true }),
  ]);
  expect(outcome?.verification?.passed).toBe(true);
  // moto has no StartConfigRulesEvaluation: the verified fix stands, the failed report is recorded.
  expect(outcome?.reportedToSource).toMatch(/^not reported: start Config rule evaluation/);
  expect(await blockOf(bucket)).toEqual(ALL_ON);
  const notes = await drainQueue(stack.raw.sqs, stack.resources.notifyInboxUrl, 1);
  const note = notes.map((m) => JSON.parse(m.Body ?? '{}')).find((n) => String(n.Subject).includes(bucket));
  expect(note?.Subject).toBe(`[REMEDIATED] ${PLAYBOOK} on ${bucket} (123456789012/ap-northeast-1)`);
  expect(note?.Message).toContain('/workflows/remediation%2F123456789012%2Fap-northeast-1');
  const description = await stack.env.client.workflow
    .getHandle(remediationWorkflowId(s3Finding(bucket).resource))
    .describe();
  expect(description.typedSearchAttributes.get(RemediationStatusKey)).toBe('REMEDIATED');
  const audit = await stack.raw.s3.send(
    new ListObjectsV2Command({ Bucket: stack.resources.auditBucket, Prefix: 'audit/' }),
  );
  expect(audit.Contents?.map((o) => o.Key).filter((k) => k?.includes(bucket))).toEqual([
    expect.stringMatching(/\/outcome-.*\.json$/),
  ]);
});

it('sends the outcome through the durable notification activity when the one in concludeRemediation failed', async () => {
  // Prepare: the first SNS Publish is throttled (a fault moto cannot produce), later ones go through.
  const taskQueue = `q-${randomUUID()}`;
  const bucket = newBucket();
  await createBucket(stack.raw.s3, bucket);
  const clients = motoClients(stack.moto.endpoint);
  let publishes = 0;
  clients.sns(FIXTURE_REGION).middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'PublishCommand') {
        publishes += 1;
        if (publishes === 1) {
          throw new SNSServiceException({
            name: 'Throttling',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
            message: 'Rate exceeded',
          });
        }
      }
      return next(args);
    },
    { step: 'initialize', name: 'throttleFirstPublish' },
  );
  const worker = await stack.worker(taskQueue, stack.activities(clients));

  // Act
  const [result, activities] = await worker.runUntil(async () => {
    const handle = await dispatch(taskQueue, s3Finding(bucket));
    const done = await handle.result();
    const history = await handle.fetchHistory();
    const names = (history.events ?? []).flatMap((e) =>
      e.activityTaskScheduledEventAttributes?.activityType?.name
        ? [e.activityTaskScheduledEventAttributes.activityType.name]
        : [],
    );
    return [done, names] as const;
  });

  // Assess: remediated once, verified and audited inside concludeRemediation, the notification sent afterwards.
  expect(result.status).toBe('REMEDIATED');
  // The worker's settings first (a workflow takes none from its input), with the first preparation in one activity.
  expect(activities).toEqual(['openRemediation', 'applyStep', 'concludeRemediation', 'notifyOutcome']);
  expect(publishes).toBe(2);
  const notes = await drainQueue(stack.raw.sqs, stack.resources.notifyInboxUrl, 1);
  expect(notes.map((m) => JSON.parse(m.Body ?? '{}').Subject)).toContain(
    `[REMEDIATED] ${PLAYBOOK} on ${bucket} (123456789012/ap-northeast-1)`,
  );
});

it('records a COMPLIANT event for a running execution and never starts one for it', async () => {
  // Prepare
  const taskQueue = `q-${randomUUID()}`;
  const bucket = newBucket();
  const quiet = newBucket();
  await createBucket(stack.raw.s3, bucket);
  const worker = await stack.worker(taskQueue, stack.activities());
  const dispatcher = dispatcherWith(stack.env.client, taskQueue, fastSettings({}, 3000));
  const compliant = (b: string) => ({
    finding: s3Finding(b, { state: 'PASSED', details: { complianceType: 'COMPLIANT' } }),
    playbook: PLAYBOOK,
  });

  // Act
  const [result, toRunning, toNothing] = await worker.runUntil(async () => {
    const handle = await dispatch(taskQueue, s3Finding(bucket), fastSettings({}, 3000));
    const delivered = await dispatcher.signalOnly(compliant(bucket));
    const notRunning = await dispatcher.signalOnly(compliant(quiet));
    const snapshot = await handle.query(statusQuery);
    expect(snapshot.compliantSignals).toBe(1);
    return [await handle.result(), delivered, notRunning] as const;
  });

  // Assess
  expect(result.status).toBe('REMEDIATED');
  expect(toRunning.kind).toBe('delivered');
  expect(toNothing.kind).toBe('not-running');
});

it('compensates a change that reached AWS when its step then fails for good (failure injected after the real call)', async () => {
  // Prepare: the real apply runs against moto, then the activity fails non-retryably, as an error after a partial
  // change would. A second multi-step case arrives with the security-group playbook.
  const taskQueue = `q-${randomUUID()}`;
  const bucket = newBucket();
  await createBucket(stack.raw.s3, bucket);
  const real = stack.activities();
  const activities = {
    ...real,
    applyStep: async (req: Parameters<typeof real.applyStep>[0]) => {
      await real.applyStep(req);
      throw ApplicationFailure.create({
        message: 'injected after the change',
        type: 'InternalFailure',
        nonRetryable: true,
      });
    },
  };
  const worker = await stack.worker(taskQueue, activities);

  // Act
  const result: RemediationResult = await worker.runUntil(async () =>
    (await dispatch(taskQueue, s3Finding(bucket))).result(),
  );

  // Assess: the bucket is back to its recorded prior state (no configuration at all).
  expect(result.status).toBe('ESCALATED');
  expect(result.outcomes[0]?.changes).toEqual([]);
  expect(result.outcomes[0]?.compensations).toEqual([
    expect.objectContaining({ step: 'put-public-access-block', changed: true }),
  ]);
  expect(result.outcomes[0]?.escalation?.errorType).toBe('InternalFailure');
  expect(await blockOf(bucket)).toBeNull();
});

it('escalates at once on a non-retryable AWS error (AccessDenied injected into the S3 client)', async () => {
  // Prepare: the S3 client answers PutPublicAccessBlock with AccessDenied, as an IAM policy without the action would.
  const taskQueue = `q-${randomUUID()}`;
  const bucket = newBucket();
  await createBucket(stack.raw.s3, bucket);
  const clients = motoClients(stack.moto.endpoint);
  let putAttempts = 0;
  // The playbook's own S3 client (a kit playbook names the client class it uses).
  clients.client(S3Client, '123456789012', 'ap-northeast-1').middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'PutPublicAccessBlockCommand') {
        putAttempts += 1;
        throw new S3ServiceException({
          name: 'AccessDenied',
          $fault: 'client',
          $metadata: { httpStatusCode: 403 },
          message: 'User is not authorized to perform: s3:PutBucketPublicAccessBlock',
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectAccessDenied' },
  );
  const worker = await stack.worker(taskQueue, stack.activities(clients));

  // Act
  const started = Date.now();
  const result: RemediationResult = await worker.runUntil(async () =>
    (
      await dispatch(
        taskQueue,
        s3Finding(bucket),
        fastSettings({
          retry: {
            initialIntervalMs: 5000,
            backoffCoefficient: 2,
            maximumAttempts: 4,
            maximumIntervalMs: 5000,
          },
        }),
      )
    ).result(),
  );

  // Assess: one attempt, no retry backoff spent, typed failure, on-call paged.
  expect(result.status).toBe('ESCALATED');
  expect(putAttempts).toBe(1);
  expect(Date.now() - started).toBeLessThan(5000 + 2000);
  expect(result.outcomes[0]?.escalation).toMatchObject({
    errorType: 'AccessDenied',
    reason: expect.stringContaining('AccessDenied'),
  });
  expect(await blockOf(bucket)).toBeNull();
});

it('handles a duplicate event once: the repeat is recorded, not re-applied', async () => {
  // Prepare
  const taskQueue = `q-${randomUUID()}`;
  const bucket = newBucket();
  await createBucket(stack.raw.s3, bucket);
  const real = stack.activities();
  let applies = 0;
  const worker = await stack.worker(taskQueue, {
    ...real,
    applyStep: async (req: Parameters<typeof real.applyStep>[0]) => {
      applies += 1;
      return real.applyStep(req);
    },
  });

  // Act: the same finding twice (SQS redelivery, or Config re-sending it with a new event id).
  const result: RemediationResult = await worker.runUntil(async () => {
    const handle = await dispatch(taskQueue, s3Finding(bucket), fastSettings({}, 3000));
    await dispatch(
      taskQueue,
      s3Finding(bucket, { eventId: 'evt-repeat', observedAt: '2026-11-20T09:00:00Z' }),
      fastSettings({}, 3000),
    );
    const snapshot = await handle.query(statusQuery);
    expect(snapshot.repeats).toBe(1);
    return handle.result();
  });

  // Assess
  expect(result.status).toBe('REMEDIATED');
  expect(result.outcomes).toHaveLength(1);
  expect(applies).toBe(1);
});

it('handles a finding with new content after the current one, in the same execution', async () => {
  const taskQueue = `q-${randomUUID()}`;
  const bucket = newBucket();
  await createBucket(stack.raw.s3, bucket);
  const worker = await stack.worker(taskQueue, stack.activities());

  const result: RemediationResult = await worker.runUntil(async () => {
    const handle = await dispatch(taskQueue, s3Finding(bucket), fastSettings({}, 3000));
    await dispatch(
      taskQueue,
      s3Finding(bucket, { control: 's3-bucket-public-write-prohibited' }),
      fastSettings({}, 3000),
    );
    return handle.result();
  });

  expect(result.outcomes.map((o) => [o.finding.control, o.status])).toEqual([
    ['s3-bucket-public-read-prohibited', 'REMEDIATED'],
    ['s3-bucket-public-write-prohibited', 'NO_ACTION'],
  ]);
});

it('compensates the completed step in reverse when a later step fails (security group: the revoke fails for good)', async () => {
  // Prepare: a wide world-open range; the split succeeds, then the step's RevokeSecurityGroupIngress fails for good
  // (injected into the EC2 client once; the compensation's own revoke goes through to moto).
  const taskQueue = `q-${randomUUID()}`;
  const ec2 = motoEc2(stack.moto.endpoint);
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: `wide-${randomUUID().slice(0, 8)}`, Description: 'wide' }),
  );
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 0, ToPort: 1024, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    }),
  );
  const clients = motoClients(stack.moto.endpoint);
  let revokes = 0;
  // The kit playbook's client: the one `client(EC2Client)` hands out for the group's account and region.
  clients.client(EC2Client, FIXTURE_ACCOUNT, FIXTURE_REGION).middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'RevokeSecurityGroupIngressCommand' && (revokes += 1) === 1) {
        throw Object.assign(new Error('You are not authorized to perform this operation.'), {
          name: 'UnauthorizedOperation',
          $fault: 'client',
          $metadata: { httpStatusCode: 403 },
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'denyRevoke' },
  );
  const finding = configFinding('restricted-ssh', {
    account: FIXTURE_ACCOUNT,
    region: FIXTURE_REGION,
    resourceType: 'AWS::EC2::SecurityGroup',
    resourceId: GroupId ?? '',
  });
  const worker = await stack.worker(taskQueue, stack.activities(clients));

  // Act
  const result: RemediationResult = await worker.runUntil(async () => {
    await dispatcherWith(stack.env.client, taskQueue, fastSettings()).start({
      finding,
      playbook: 'sg-close-admin-ports',
    });
    return stack.env.client.workflow.getHandle(remediationWorkflowId(finding.resource)).result();
  });

  // Assess: the split pieces are gone again; the group is exactly as before.
  const outcome = result.outcomes[0];
  expect(result.status).toBe('ESCALATED');
  expect(outcome?.escalation?.errorType).toBe('UnauthorizedOperation');
  expect(outcome?.changes.map((c) => [c.step, c.changed])).toEqual([['authorize-remaining-ports', true]]);
  expect(outcome?.compensations.map((c) => [c.step, c.changed])).toEqual([
    ['revoke-world-open-admin-ports', false],
    ['authorize-remaining-ports', true],
  ]);
  const group = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId ?? ''] }));
  expect(group.SecurityGroups?.[0]?.IpPermissions).toEqual([
    expect.objectContaining({
      IpProtocol: 'tcp',
      FromPort: 0,
      ToPort: 1024,
      IpRanges: [expect.objectContaining({ CidrIp: '0.0.0.0/0' })],
    }),
  ]);
  ec2.destroy();
});

it('fails closed, never open: the isolation group refused for good puts the ENI back in its own groups, keeps protection, escalates', async () => {
  // Prepare: the second ENI change (allow-all → isolation group) fails for good, injected into the EC2 client.
  const taskQueue = `q-${randomUUID()}`;
  const ec2 = motoEc2(stack.moto.endpoint);
  const instanceId = await launchInstance(ec2, { InstanceInitiatedShutdownBehavior: 'stop' });
  const before = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })))
    .Reservations?.[0]?.Instances?.[0]?.NetworkInterfaces?.[0];
  const clients = motoClients(stack.moto.endpoint);
  let eniChanges = 0;
  // The EC2 client the playbook asks the factory for (the kit's `io.client(EC2Client)`).
  clients.client(EC2Client, FIXTURE_ACCOUNT, FIXTURE_REGION).middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'ModifyNetworkInterfaceAttributeCommand' && (eniChanges += 1) === 2) {
        throw Object.assign(new Error('injected'), {
          name: 'UnauthorizedOperation',
          $fault: 'client',
          $metadata: { httpStatusCode: 403 },
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'denySecondEniChange' },
  );
  const finding = guardDutyFinding('AWS::EC2::Instance', instanceId);

  const worker = await stack.worker(taskQueue, stack.activities(clients));

  // Act
  const result: RemediationResult = await worker.runUntil(async () => {
    await dispatcherWith(stack.env.client, taskQueue, fastSettings()).start({
      finding,
      playbook: 'ec2-isolate-instance',
    });
    return stack.env.client.workflow.getHandle(remediationWorkflowId(finding.resource)).result();
  });

  // Assess: nothing undone; the instance stays protected, its ENI back in its own groups (never left in allow-all,
  // which is gone again); on-call is told where the ENI ended.
  const outcome = result.outcomes[0];
  expect(result.status).toBe('ESCALATED');
  expect(outcome?.compensations).toEqual([]);
  expect(outcome?.escalation?.reason).toContain('kept (fail closed): isolate-network-interfaces');
  expect(outcome?.escalation?.reason).toContain('back in its original groups');
  expect(outcome?.escalation?.errorType).toBe('UnauthorizedOperation');
  expect(eniChanges).toBe(3);
  const after = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })))
    .Reservations?.[0]?.Instances?.[0]?.NetworkInterfaces?.[0];
  expect(after?.Groups?.map((g) => g.GroupId)).toEqual(before?.Groups?.map((g) => g.GroupId));
  const allowAll = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [{ Name: 'group-name', Values: [allowAllGroupName(after?.VpcId ?? '')] }],
    }),
  );
  expect(allowAll.SecurityGroups).toEqual([]);
  const termination = await ec2.send(
    new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'disableApiTermination' }),
  );
  expect(termination.DisableApiTermination?.Value).toBe(true);
  ec2.destroy();
});
