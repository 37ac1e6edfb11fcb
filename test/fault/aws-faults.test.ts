/**
 * AWS faults on the wire: real workflows on the dev server, real activities whose AWS clients talk to moto through the
 * fault proxy (test/helpers/aws-fault-proxy.ts). The client factory keeps its production SDK setting (`maxAttempts`
 * 2), so every figure below is SDK attempts × Temporal attempts as it would be in production.
 *
 * - throttling and 500s on the apply call are retried with growing gaps and end REMEDIATED with one effective change;
 * - SDK retries do not multiply: a call that always throttles costs exactly 2 × maximumAttempts requests;
 * - a request that never answers is given up by the activity's timeout and retried;
 * - AccessDenied / UnauthorizedOperation are not retried (one request) and escalate naming the AWS error;
 * - a resource deleted between the analysis and the apply ends with an outcome naming the condition;
 * - the proxy's faults parse, in every protocol we use, as the SDK's typed errors, and `aws-errors.ts` classifies them.
 */
import { randomUUID } from 'node:crypto';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { ConfigServiceClient, DescribeConfigRulesCommand } from '@aws-sdk/client-config-service';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { IAMClient, ListUsersCommand } from '@aws-sdk/client-iam';
import { DeleteBucketCommand, GetBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  DeleteMessageCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Worker } from '@temporalio/worker';
import { awsErrorName, toActivityFailure } from '../../src/activities/aws-errors';
import { AwsClients } from '../../src/aws/clients';
import { remediationWorkflowId } from '../../src/domain/finding';
import type { Finding } from '../../src/domain/finding';
import type { PlaybookSettings } from '../../src/domain/policy';
import type { RemediationResult } from '../../src/domain/remediation';
import { startAwsFaultProxy } from '../helpers/aws-fault-proxy';
import type { AwsCall, AwsFault, AwsFaultProxy } from '../helpers/aws-fault-proxy';
import {
  createBucket,
  FIXTURE_ACCOUNT,
  FIXTURE_REGION,
  publicAccessBlockOf,
  TEST_CREDENTIALS,
} from '../helpers/aws';
import { motoEc2 } from '../helpers/ec2';
import { configFinding, fastSettings, s3Finding } from '../helpers/fixtures';
import { standInForMissingApis } from '../helpers/crash-stack';
import { startWorkflowStack } from '../helpers/workflow-stack';
import type { WorkflowStack } from '../helpers/workflow-stack';
import { dispatcherWith } from '../helpers/worker-policies';

/** What the client factory uses when the worker does not say (src/aws/clients.ts): the SDK's attempts per call. */
const SDK_ATTEMPTS = 2;
/** Temporal retry for the backoff tests: 500 ms, 1 s, 2 s, … so growth stands out from scheduling noise. */
const BACKOFF: PlaybookSettings['retry'] = {
  initialIntervalMs: 500,
  backoffCoefficient: 2,
  maximumAttempts: 4,
  maximumIntervalMs: 4000,
};
const FULL_BLOCK = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

let stack: WorkflowStack;
let proxy: AwsFaultProxy;
let clients: AwsClients;
let activities: ReturnType<WorkflowStack['activities']>;
let ec2: EC2Client;

beforeAll(async () => {
  stack = await startWorkflowStack();
  proxy = await startAwsFaultProxy(stack.moto.endpoint);
  standInForMissingApis(proxy);
  // Production's client factory (no maxAttempts override) on the proxy.
  clients = new AwsClients({ endpoint: proxy.endpoint, credentials: TEST_CREDENTIALS });
  activities = stack.activities(clients);
  ec2 = motoEc2(stack.moto.endpoint);
});
afterEach(() => {
  if (!proxy) return;
  proxy.clearRules();
  standInForMissingApis(proxy);
});
afterAll(async () => {
  ec2?.destroy();
  await proxy?.close();
  await stack?.stop();
});

/** Runs one finding to its result on a fresh task queue; the worker is shut down (in-flight attempts cancelled). */
async function remediate(
  finding: Finding,
  playbook: string,
  overrides: Partial<PlaybookSettings>,
): Promise<{ result: RemediationResult; workflowId: string }> {
  const taskQueue = `fault-${randomUUID()}`;
  const worker: Worker = await stack.worker(taskQueue, activities);
  const workflowId = remediationWorkflowId(finding.resource);
  const result = await worker.runUntil(async () => {
    await dispatcherWith(stack.env.client, taskQueue, fastSettings(overrides, 300)).start({
      finding,
      playbook,
    });
    return stack.env.client.workflow.getHandle<() => Promise<RemediationResult>>(workflowId).result();
  });
  return { result, workflowId };
}

/** The attempt number Temporal recorded for the (last) execution of an activity type. */
async function temporalAttempts(workflowId: string, activityType: string): Promise<number[]> {
  const history = await stack.env.client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const scheduled = new Set(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType)
      .map((e) => Number(e.eventId)),
  );
  return events
    .filter((e) => scheduled.has(Number(e.activityTaskStartedEventAttributes?.scheduledEventId ?? -1)))
    .map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0);
}

/** Gaps between SDK invocations: from the last answer of one to the first request of the next. */
function gapsBetween(invocations: AwsCall[][]): number[] {
  const gaps: number[] = [];
  for (let i = 1; i < invocations.length; i += 1) {
    const previous = invocations[i - 1]?.at(-1);
    const next = invocations[i]?.[0];
    if (previous?.finishedAt !== undefined && next) gaps.push(next.receivedAt - previous.finishedAt);
  }
  return gaps;
}

function shape(invocations: AwsCall[][]): string[][] {
  return invocations.map((inv) => inv.map((c) => (c.outcome === 'fault' ? (c.fault ?? 'fault') : c.outcome)));
}

async function publicBucket(): Promise<string> {
  const bucket = `fault-${randomUUID().slice(0, 8)}`;
  await createBucket(stack.raw.s3, bucket);
  return bucket;
}

async function worldOpenSshGroup(): Promise<string> {
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: `ssh-${randomUUID().slice(0, 8)}`, Description: 'ssh' }),
  );
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    }),
  );
  return GroupId ?? '';
}

function sshFinding(groupId: string): Finding {
  return configFinding('restricted-ssh', {
    account: FIXTURE_ACCOUNT,
    region: FIXTURE_REGION,
    resourceType: 'AWS::EC2::SecurityGroup',
    resourceId: groupId,
  });
}

async function worldOpenPorts(groupId: string): Promise<number[]> {
  const out = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
  return (out.SecurityGroups?.[0]?.IpPermissions ?? [])
    .filter((p) => p.IpRanges?.some((r) => r.CidrIp === '0.0.0.0/0'))
    .map((p) => p.FromPort ?? -1);
}

/** Receives (and deletes) on-call messages until one contains every string, or the time is up. */
async function oncallMessageWith(texts: string[], timeoutMs = 15_000): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const out = await stack.raw.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.resources.oncallInboxUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
      }),
    );
    for (const m of out.Messages ?? []) {
      await stack.raw.sqs.send(
        new DeleteMessageCommand({
          QueueUrl: stack.resources.oncallInboxUrl,
          ReceiptHandle: m.ReceiptHandle,
        }),
      );
      if (texts.every((t) => m.Body?.includes(t))) return m.Body;
    }
  }
  return undefined;
}

it('answers faults in the shape each protocol expects, and aws-errors.ts classifies them (retryable or not)', async () => {
  // Prepare: one plain client per protocol, without SDK retries, through the proxy.
  const common = {
    endpoint: proxy.endpoint,
    region: FIXTURE_REGION,
    credentials: TEST_CREDENTIALS,
    maxAttempts: 1,
  };
  const made: { destroy(): void }[] = [];
  const client = <T extends { destroy(): void }>(c: T): T => {
    made.push(c);
    return c;
  };
  const probes: { protocol: string; service: string; action: string; call: () => Promise<unknown> }[] = [
    {
      protocol: 'rest-xml',
      service: 's3',
      action: 'GetBucketPolicy',
      call: () =>
        client(new S3Client({ ...common, forcePathStyle: true })).send(
          new GetBucketPolicyCommand({ Bucket: 'x' }),
        ),
    },
    {
      protocol: 'ec2',
      service: 'ec2',
      action: 'DescribeSecurityGroups',
      call: () => client(new EC2Client(common)).send(new DescribeSecurityGroupsCommand({})),
    },
    {
      protocol: 'query',
      service: 'sns',
      action: 'ListTopics',
      call: () => client(new SNSClient(common)).send(new ListTopicsCommand({})),
    },
    {
      protocol: 'query',
      service: 'iam',
      action: 'ListUsers',
      call: () => client(new IAMClient({ ...common, region: 'us-east-1' })).send(new ListUsersCommand({})),
    },
    {
      protocol: 'json-1.0',
      service: 'sqs',
      action: 'ListQueues',
      call: () => client(new SQSClient(common)).send(new ListQueuesCommand({})),
    },
    {
      protocol: 'json-1.0',
      service: 'monitoring',
      action: 'DescribeAlarms',
      call: () => client(new CloudWatchClient(common)).send(new DescribeAlarmsCommand({})),
    },
    {
      protocol: 'json-1.1',
      service: 'config',
      action: 'DescribeConfigRules',
      call: () => client(new ConfigServiceClient(common)).send(new DescribeConfigRulesCommand({})),
    },
  ];
  const faults: { fault: AwsFault; retryable: boolean }[] = [
    { fault: { kind: 'throttle' }, retryable: true },
    { fault: { kind: 'error' }, retryable: true },
    { fault: { kind: 'deny' }, retryable: false },
  ];

  // Act
  const seen: string[] = [];
  for (const probe of probes) {
    for (const { fault, retryable } of faults) {
      const rule = proxy.addRule({ service: probe.service, action: probe.action, fault, times: 1 });
      const err = await probe.call().then(
        () => undefined,
        (e: unknown) => e as { name?: string; $metadata?: { httpStatusCode?: number } },
      );
      rule.remove();
      const injected = proxy.find({ service: probe.service, action: probe.action }).at(-1);
      const failure = toActivityFailure(err, probe.action);
      seen.push(
        [
          probe.protocol,
          probe.service,
          fault.kind,
          rule.applied,
          // The AWS error code, as the product names it (a modelled exception may rename the class).
          awsErrorName(err) === injected?.fault,
          err?.$metadata?.httpStatusCode === injected?.status,
          failure.nonRetryable === !retryable,
        ].join(' '),
      );
    }
  }

  for (const c of made) c.destroy();

  // Assess: every probe was faulted once, parsed to the injected code and status, and classified as expected.
  expect(seen).toEqual(
    probes.flatMap((p) => faults.map((f) => `${p.protocol} ${p.service} ${f.fault.kind} 1 true true true`)),
  );
  console.log(
    `fault shapes: ${probes.length} services × ${faults.length} faults parse and classify as expected`,
  );
});

it('without faults, the S3 success path reads the bucket once per purpose: prior state and state after come from the reads beside them', async () => {
  // Prepare
  const bucket = await publicBucket();

  // Act
  const { result } = await remediate(s3Finding(bucket), 's3-block-public-access', { retry: BACKOFF });

  // Assess: the analysis, the apply's own idempotency check and the verification read the block; the preparation
  // records the prior state from the analysis's read and the verification the state after from its own.
  const calls = proxy.find({ service: 's3', target: bucket }).map((c) => c.action);
  console.log(`S3 success path, calls on the bucket: ${calls.join(', ')}`);
  // No HeadBucket: GetPublicAccessBlock itself answers NoSuchBucket for a bucket that is gone.
  expect(calls).toEqual([
    'GetPublicAccessBlock',
    'GetBucketTagging',
    'GetPublicAccessBlock',
    'PutPublicAccessBlock',
    'GetPublicAccessBlock',
  ]);
  expect(result.status).toBe('REMEDIATED');
  expect(result.outcomes[0]?.prior).toEqual({ publicAccessBlock: null });
  expect(result.outcomes[0]?.verification?.stateAfter).toEqual({ publicAccessBlock: FULL_BLOCK });
  expect(await publicAccessBlockOf(stack.raw.s3, bucket)).toEqual(FULL_BLOCK);
});

it('retries a throttled apply (S3 SlowDown) with growing gaps and remediates with one effective change', async () => {
  // Prepare: the first five PutPublicAccessBlock requests are throttled (two SDK attempts per activity attempt).
  const bucket = await publicBucket();
  proxy.addRule({
    service: 's3',
    action: 'PutPublicAccessBlock',
    target: bucket,
    fault: { kind: 'throttle' },
    times: 5,
  });

  // Act
  const { result, workflowId } = await remediate(s3Finding(bucket), 's3-block-public-access', {
    retry: BACKOFF,
  });

  // Assess
  const invocations = proxy.attemptsOf({ service: 's3', action: 'PutPublicAccessBlock', target: bucket });
  const gaps = gapsBetween(invocations);
  console.log(
    `throttle: ${invocations.flat().length} PutPublicAccessBlock requests in ${invocations.length} activity attempts ` +
      `${JSON.stringify(shape(invocations))}; gaps between attempts ${gaps.join(' ms, ')} ms (backoff 500, 1000)`,
  );
  expect(shape(invocations)).toEqual([
    ['SlowDown', 'SlowDown'],
    ['SlowDown', 'SlowDown'],
    ['SlowDown', 'forwarded'],
  ]);
  expect(invocations.map((inv) => inv.map((c) => c.sdkAttempt))).toEqual([
    [1, 2],
    [1, 2],
    [1, 2],
  ]);
  expect(await temporalAttempts(workflowId, 'applyStep')).toEqual([3]);
  expect(gaps).toHaveLength(2);
  expect(gaps[0]).toBeGreaterThanOrEqual(500 * 0.95);
  expect(gaps[1]).toBeGreaterThanOrEqual(1000 * 0.95);
  expect(gaps[1]).toBeGreaterThan(gaps[0] ?? Infinity);
  expect(result.status).toBe('REMEDIATED');
  expect(result.outcomes[0]?.prior).toEqual({ publicAccessBlock: null });
  expect(result.outcomes[0]?.changes.map((c) => [c.step, c.changed])).toEqual([
    ['put-public-access-block', true],
  ]);
  expect(proxy.mutatingCalls({ service: 's3', target: bucket }).map((c) => c.action)).toEqual([
    'PutPublicAccessBlock',
  ]);
  expect(await publicAccessBlockOf(stack.raw.s3, bucket)).toEqual(FULL_BLOCK);
});

it('retries 500 InternalError on the apply and remediates with one effective change', async () => {
  // Prepare
  const bucket = await publicBucket();
  proxy.addRule({
    service: 's3',
    action: 'PutPublicAccessBlock',
    target: bucket,
    fault: { kind: 'error' },
    times: 3,
  });

  // Act
  const { result, workflowId } = await remediate(s3Finding(bucket), 's3-block-public-access', {
    retry: BACKOFF,
  });

  // Assess
  const invocations = proxy.attemptsOf({ service: 's3', action: 'PutPublicAccessBlock', target: bucket });
  const gaps = gapsBetween(invocations);
  console.log(
    `500s: ${invocations.flat().length} PutPublicAccessBlock requests in ${invocations.length} activity attempts ` +
      `${JSON.stringify(shape(invocations))}; gap ${gaps.join(', ')} ms (backoff 500)`,
  );
  expect(shape(invocations)).toEqual([
    ['InternalError', 'InternalError'],
    ['InternalError', 'forwarded'],
  ]);
  expect(await temporalAttempts(workflowId, 'applyStep')).toEqual([2]);
  expect(gaps[0]).toBeGreaterThanOrEqual(500 * 0.95);
  expect(result.status).toBe('REMEDIATED');
  expect(result.outcomes[0]?.changes.map((c) => c.changed)).toEqual([true]);
  expect(proxy.mutatingCalls({ service: 's3', target: bucket })).toHaveLength(1);
  expect(await publicAccessBlockOf(stack.raw.s3, bucket)).toEqual(FULL_BLOCK);
});

it('retries a throttled EC2 revoke (RequestLimitExceeded) and closes the port once', async () => {
  // Prepare
  const groupId = await worldOpenSshGroup();
  proxy.addRule({
    service: 'ec2',
    action: 'RevokeSecurityGroupIngress',
    target: groupId,
    fault: { kind: 'throttle' },
    times: 3,
  });

  // Act
  const { result, workflowId } = await remediate(sshFinding(groupId), 'sg-close-admin-ports', {
    retry: BACKOFF,
  });

  // Assess
  const invocations = proxy.attemptsOf({
    service: 'ec2',
    action: 'RevokeSecurityGroupIngress',
    target: groupId,
  });
  console.log(
    `EC2 throttle: ${invocations.flat().length} RevokeSecurityGroupIngress requests in ${invocations.length} activity attempts ${JSON.stringify(shape(invocations))}`,
  );
  expect(shape(invocations)).toEqual([
    ['RequestLimitExceeded', 'RequestLimitExceeded'],
    ['RequestLimitExceeded', 'forwarded'],
  ]);
  expect(await temporalAttempts(workflowId, 'applyStep')).toEqual([2]);
  expect(result.status).toBe('REMEDIATED');
  expect(result.outcomes[0]?.changes.map((c) => [c.step, c.changed])).toEqual([
    ['revoke-world-open-admin-ports', true],
  ]);
  expect(proxy.mutatingCalls({ service: 'ec2', target: groupId }).map((c) => c.action)).toEqual([
    'RevokeSecurityGroupIngress',
  ]);
  expect(await worldOpenPorts(groupId)).toEqual([]);
});

it('bounds SDK × Temporal retries: a call that always throttles costs exactly 2 × maximumAttempts requests, then escalates', async () => {
  // Prepare
  const bucket = await publicBucket();
  proxy.addRule({
    service: 's3',
    action: 'PutPublicAccessBlock',
    target: bucket,
    fault: { kind: 'throttle' },
  });
  const maximumAttempts = 4;

  // Act
  const { result, workflowId } = await remediate(s3Finding(bucket), 's3-block-public-access', {
    retry: { initialIntervalMs: 200, backoffCoefficient: 2, maximumAttempts, maximumIntervalMs: 1000 },
  });

  // Assess
  const invocations = proxy.attemptsOf({ service: 's3', action: 'PutPublicAccessBlock', target: bucket });
  const requests = invocations.flat().length;
  console.log(
    `bound: always-throttled PutPublicAccessBlock = ${requests} requests = ${SDK_ATTEMPTS} SDK attempts × ${invocations.length} activity attempts (maximumAttempts ${maximumAttempts})`,
  );
  expect(invocations).toHaveLength(maximumAttempts);
  expect(requests).toBe(SDK_ATTEMPTS * maximumAttempts);
  expect(await temporalAttempts(workflowId, 'applyStep')).toEqual([maximumAttempts]);
  const outcome = result.outcomes[0];
  expect(result.status).toBe('ESCALATED');
  expect(outcome?.escalation?.errorType).toBe('SlowDown');
  expect(outcome?.reason).toContain('SlowDown');
  // Nothing reached S3, so the compensation found nothing to restore.
  expect(outcome?.compensations.map((c) => [c.step, c.changed])).toEqual([
    ['put-public-access-block', false],
  ]);
  expect(proxy.mutatingCalls({ service: 's3', target: bucket })).toEqual([]);
  expect(await publicAccessBlockOf(stack.raw.s3, bucket)).toBeNull();
});

it('gives up a request that never answers at the activity timeout, retries it and remediates', async () => {
  // Prepare: the first PutPublicAccessBlock is held without an answer (the SDK has no request timeout of its own; the
  // activity's abort signal carries the start-to-close deadline).
  const bucket = await publicBucket();
  proxy.addRule({
    service: 's3',
    action: 'PutPublicAccessBlock',
    target: bucket,
    fault: { kind: 'timeout' },
    times: 1,
  });
  const activityTimeoutMs = 2000;

  // Act
  const started = Date.now();
  const { result, workflowId } = await remediate(s3Finding(bucket), 's3-block-public-access', {
    activityTimeoutMs,
    retry: BACKOFF,
  });
  const elapsed = Date.now() - started;

  // Assess: the held request never reached moto, and the worker gave it up at the attempt's deadline, before the retry
  // went out: it cannot land late and write after the retry.
  const requests = proxy.find({ service: 's3', action: 'PutPublicAccessBlock', target: bucket });
  const [held, retried] = requests;
  console.log(
    `timeout: ${requests.length} PutPublicAccessBlock requests (first ${held?.outcome} by the client ` +
      `${held?.finishedAt !== undefined ? held.finishedAt - held.receivedAt : NaN} ms after it arrived, then ${retried?.outcome} ` +
      `${retried && held ? retried.receivedAt - held.receivedAt : NaN} ms later; timeout ${activityTimeoutMs} ms + backoff 500 ms); ` +
      `remediated in ${elapsed} ms`,
  );
  expect(requests.map((c) => c.outcome)).toEqual(['abandoned', 'forwarded']);
  // ~2000 ms on a quiet machine; the slack is for a loaded one (timers fire late), the order below is what matters.
  expect((held?.finishedAt ?? Infinity) - (held?.receivedAt ?? 0)).toBeLessThan(activityTimeoutMs + 2500);
  expect(held?.finishedAt ?? Infinity).toBeLessThanOrEqual(retried?.receivedAt ?? 0);
  expect((retried?.receivedAt ?? 0) - (held?.receivedAt ?? 0)).toBeGreaterThanOrEqual(activityTimeoutMs);
  expect(await temporalAttempts(workflowId, 'applyStep')).toEqual([2]);
  expect(result.status).toBe('REMEDIATED');
  expect(result.outcomes[0]?.changes.map((c) => c.changed)).toEqual([true]);
  expect(proxy.mutatingCalls({ service: 's3', target: bucket })).toHaveLength(1);
  expect(await publicAccessBlockOf(stack.raw.s3, bucket)).toEqual(FULL_BLOCK);
});

it('does not retry AccessDenied: one request, ESCALATED naming the AWS error in the outcome and the page', async () => {
  // Prepare
  const bucket = await publicBucket();
  proxy.addRule({ service: 's3', action: 'PutPublicAccessBlock', target: bucket, fault: { kind: 'deny' } });

  // Act
  const { result, workflowId } = await remediate(s3Finding(bucket), 's3-block-public-access', {
    retry: BACKOFF,
  });

  // Assess
  const requests = proxy.find({ service: 's3', action: 'PutPublicAccessBlock', target: bucket });
  const outcome = result.outcomes[0];
  console.log(`AccessDenied: ${requests.length} request(s); outcome ${result.status}: ${outcome?.reason}`);
  expect(requests.map((c) => c.fault)).toEqual(['AccessDenied']);
  expect(await temporalAttempts(workflowId, 'applyStep')).toEqual([1]);
  expect(result.status).toBe('ESCALATED');
  expect(outcome?.escalation?.errorType).toBe('AccessDenied');
  expect(outcome?.reason).toMatch(/put-public-access-block failed: .*AccessDenied/);
  expect(await oncallMessageWith([bucket, 'AccessDenied'])).toBeDefined();
  expect(await publicAccessBlockOf(stack.raw.s3, bucket)).toBeNull();
});

it('does not retry UnauthorizedOperation on EC2: one request, ESCALATED naming it, the group unchanged', async () => {
  // Prepare
  const groupId = await worldOpenSshGroup();
  proxy.addRule({
    service: 'ec2',
    action: 'RevokeSecurityGroupIngress',
    target: groupId,
    fault: { kind: 'deny' },
  });

  // Act
  const { result } = await remediate(sshFinding(groupId), 'sg-close-admin-ports', { retry: BACKOFF });

  // Assess
  const requests = proxy.find({ service: 'ec2', action: 'RevokeSecurityGroupIngress', target: groupId });
  const outcome = result.outcomes[0];
  console.log(
    `UnauthorizedOperation: ${requests.length} request(s); outcome ${result.status}: ${outcome?.reason}`,
  );
  expect(requests.map((c) => c.fault)).toEqual(['UnauthorizedOperation']);
  expect(result.status).toBe('ESCALATED');
  expect(outcome?.escalation?.errorType).toBe('UnauthorizedOperation');
  expect(await oncallMessageWith([groupId, 'UnauthorizedOperation'])).toBeDefined();
  expect(await worldOpenPorts(groupId)).toEqual([22]);
});

it('a bucket deleted between the analysis and the apply: the outcome names NoSuchBucket, nothing retried', async () => {
  // Prepare: just before PutPublicAccessBlock reaches moto, someone deletes the bucket.
  const bucket = await publicBucket();
  proxy.addRule({
    service: 's3',
    action: 'PutPublicAccessBlock',
    target: bucket,
    times: 1,
    before: () => stack.raw.s3.send(new DeleteBucketCommand({ Bucket: bucket })),
  });

  // Act
  const { result } = await remediate(s3Finding(bucket), 's3-block-public-access', { retry: BACKOFF });

  // Assess
  const outcome = result.outcomes[0];
  console.log(
    `bucket deleted mid-remediation: ${result.status} (${outcome?.escalation?.errorType}): ${outcome?.reason}`,
  );
  expect(proxy.find({ service: 's3', action: 'PutPublicAccessBlock', target: bucket })).toHaveLength(1);
  expect(outcome?.analysis?.verdict).toBe('remediate');
  expect(outcome?.prior).toEqual({ publicAccessBlock: null });
  expect(result.status).toBe('ESCALATED');
  expect(outcome?.escalation?.errorType).toBe('NoSuchBucket');
  expect(outcome?.reason).toContain('NoSuchBucket');
  expect(outcome?.changes).toEqual([]);
  // The resource is gone, so there is nothing to restore: recorded as such, not as an incomplete compensation.
  expect(outcome?.reason).not.toContain('compensation incomplete');
  expect(outcome?.compensations).toEqual([
    expect.objectContaining({ changed: false, detail: expect.stringMatching(/nothing to restore/) }),
  ]);
});

it('a security group deleted between the analysis and the apply: the outcome names InvalidGroup.NotFound', async () => {
  // Prepare
  const groupId = await worldOpenSshGroup();
  proxy.addRule({
    service: 'ec2',
    action: 'RevokeSecurityGroupIngress',
    target: groupId,
    times: 1,
    before: () => ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId })),
  });

  // Act
  const { result } = await remediate(sshFinding(groupId), 'sg-close-admin-ports', { retry: BACKOFF });

  // Assess
  const outcome = result.outcomes[0];
  console.log(
    `group deleted mid-remediation: ${result.status} (${outcome?.escalation?.errorType}): ${outcome?.reason}`,
  );
  expect(proxy.find({ service: 'ec2', action: 'RevokeSecurityGroupIngress', target: groupId })).toHaveLength(
    1,
  );
  expect(result.status).toBe('ESCALATED');
  expect(outcome?.escalation?.errorType).toBe('InvalidGroup.NotFound');
  expect(outcome?.reason).toContain('InvalidGroup.NotFound');
  expect(outcome?.changes).toEqual([]);
  // The resource is gone, so there is nothing to restore: recorded as such, not as an incomplete compensation.
  expect(outcome?.reason).not.toContain('compensation incomplete');
  expect(outcome?.compensations).toEqual([
    expect.objectContaining({ changed: false, detail: expect.stringMatching(/nothing to restore/) }),
  ]);
});

it('AccessDenied on the admission check (the resource tag read) escalates naming it, instead of failing the execution', async () => {
  // Prepare: the worker's role may not read the bucket's tags.
  const bucket = await publicBucket();
  proxy.addRule({ service: 's3', action: 'GetBucketTagging', target: bucket, fault: { kind: 'deny' } });

  // Act
  const { result } = await remediate(s3Finding(bucket), 's3-block-public-access', { retry: BACKOFF });

  // Assess
  const outcome = result.outcomes[0];
  console.log(`AccessDenied on GetBucketTagging: ${result.status}: ${outcome?.reason}`);
  expect(proxy.find({ service: 's3', action: 'GetBucketTagging', target: bucket })).toHaveLength(1);
  expect(result.status).toBe('ESCALATED');
  expect(outcome?.escalation?.errorType).toBe('AccessDenied');
  expect(outcome?.reason).toContain('AccessDenied');
  expect(outcome?.changes).toEqual([]);
  expect(await oncallMessageWith([bucket, 'AccessDenied'])).toBeDefined();
  expect(await publicAccessBlockOf(stack.raw.s3, bucket)).toBeNull();
});
