/**
 * Forgery (docs/architecture.md, Trust model): "the worker trusts AWS and its own configuration; a queue message, a
 * workflow input, a signal or an update is a request, never authority", proved end to end.
 *
 * The test plays someone who holds full access to the Temporal namespace (a client that can start, signal and update
 * anything on the worker's task queue) and can write to the ingest queue, but holds no AWS credentials the worker
 * trusts. Each `it` is one forgery against real state: buckets, instances, IAM users and roles in moto, read before
 * and after; findings held (or not) by a local GuardDuty / AWS Config stand-in (moto lacks those reads); operator
 * identities answered by a local STS stand-in that checks SigV4 with the test secrets. The worker runs with a strict
 * policy of its own (findings confirmed at the source, signed decisions only, approvers by ARN), and each attempt
 * must leave AWS unchanged, be recorded (the outcome, the audit object) and, where it is an incident, page on-call.
 *
 * Proved here: a remediation started directly with a finding its detector does not hold, for an account not served,
 * from a third-party Security Hub product, or naming a protected principal; settings forged into the input; forged,
 * unsigned, foreign, replayed and expired approval decisions (and that the genuine signed one still works); a rollback
 * with a forged prior state in its own input (unsigned: refused; signed and approved by a second approver: only the
 * recorded prior state restored), naming something that is not a remediation, or naming a remediation run whose input
 * carried forged outcomes as continue-as-new state; unsigned, foreign and replayed exemptions and pauses sent straight
 * to the control workflow, and a containment exempt only by two approvers; a queue message claiming another account.
 */
import { randomUUID } from 'node:crypto';
import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetObjectCommand, ListObjectsV2Command, PutPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { createFindingConfirmation } from '../../src/activities/confirm-finding';
import { signDecision } from '../../src/auth/sign-decision';
import { createIdentityVerifier } from '../../src/auth/verify-decision';
import { AwsClients } from '../../src/aws/clients';
import type { ApprovalDecision, ApprovalRequest } from '../../src/domain/approval';
import type { AuditRecord } from '../../src/domain/audit-record';
import { exemptClaim } from '../../src/domain/control-decisions';
import type { ExemptRequest } from '../../src/domain/control-decisions';
import { admit } from '../../src/domain/controls';
import type { ControlState } from '../../src/domain/controls';
import type { DecisionClaim } from '../../src/domain/decision';
import { remediationWorkflowId } from '../../src/domain/finding';
import type { Finding } from '../../src/domain/finding';
import { EMPTY_INTAKE } from '../../src/domain/finding-intake';
import type { PlaybookSettings, TrustSettings } from '../../src/domain/policy';
import type { Outcome, RemediationResult } from '../../src/domain/remediation';
import { rollbackClaim } from '../../src/domain/rollback';
import type { RollbackResult } from '../../src/domain/rollback';
import { FindingDispatcher } from '../../src/ingest/dispatcher';
import { createMessageHandler } from '../../src/ingest/message-handler';
import { SECURITY_ALERT_SUBJECT, SecurityAlerter } from '../../src/ingest/security-alert';
import { SqsBridge } from '../../src/ingest/sqs-bridge';
import { silentLogger } from '../../src/logger';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { checkReachable } from '../../src/temporal/connection';
import { controlWorkflowStart } from '../../src/temporal/control-start';
import {
  CONTROL_WORKFLOW_TYPE,
  controlStateQuery,
  controlWorkflowId,
  exemptUpdate,
  pauseUpdate,
} from '../../src/workflows/control-definitions';
import {
  approvalSignal,
  approvalUpdate,
  findingSignal,
  pendingApprovalQuery,
  REMEDIATION_WORKFLOW_TYPE,
} from '../../src/workflows/definitions';
import { ROLLBACK_WORKFLOW_TYPE, rollbackWorkflowId } from '../../src/workflows/rollback-definitions';
import {
  createBucket,
  FIXTURE_ACCOUNT,
  FIXTURE_REGION,
  publicAccessBlockOf,
  TEST_CREDENTIALS,
} from '../helpers/aws';
import { startDetectorStandIn } from '../helpers/detector-stand-in';
import type { DetectorStandIn, GuardDutyWireFinding } from '../helpers/detector-stand-in';
import { launchInstance, motoEc2 } from '../helpers/ec2';
import { fastSettings, fixtureEvent, guardDutyFinding, s3Finding } from '../helpers/fixtures';
import { startStsStandIn } from '../helpers/sts-stand-in';
import type { StsStandIn } from '../helpers/sts-stand-in';
import { testPolicy, useWorkerPolicy } from '../helpers/worker-policies';
import { startWorkflowStack } from '../helpers/workflow-stack';
import type { WorkflowStack } from '../helpers/workflow-stack';
import { startTogether } from '../../src/devstack/processes';

/** The worker's own trust for every task queue here: confirmed findings, signed decisions, approvers by ARN. */
const STRICT: Partial<TrustSettings> = {
  confirmAtSource: true,
  allowUnsignedDecisions: false,
  approvers: { '*': [`arn:aws:sts::${FIXTURE_ACCOUNT}:assumed-role/SecurityApprover/*`] },
};

/** Operators STS knows (by the stand-in's secrets): two the policy lists as approvers, one it does not. */
const APPROVER = {
  accessKeyId: 'ASIAFORGERYAPPROVER1',
  secretAccessKey: 'test-secret-of-the-security-approver-01',
  arn: `arn:aws:sts::${FIXTURE_ACCOUNT}:assumed-role/SecurityApprover/alice`,
};
/** A second approver: a containment's rollback needs one besides its requester. */
const BOB = {
  accessKeyId: 'ASIAFORGERYAPPROVER2',
  secretAccessKey: 'test-secret-of-the-security-approver-02',
  arn: `arn:aws:sts::${FIXTURE_ACCOUNT}:assumed-role/SecurityApprover/bob`,
};
const DEVELOPER = {
  accessKeyId: 'ASIAFORGERYDEVELOPR1',
  secretAccessKey: 'test-secret-of-a-developer-0000000001',
  arn: `arn:aws:sts::${FIXTURE_ACCOUNT}:assumed-role/Developer/mallory`,
};

/** The GuardDuty detector of the fixtures' account, as the stand-in holds it. */
const DETECTOR = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
const S3_RULE = 's3-bucket-public-read-prohibited';
const S3_PLAYBOOK = 's3-block-public-access';
const SECURITY_HUB_PRODUCT = `arn:aws:securityhub:${FIXTURE_REGION}::product/aws/securityhub`;
/** The account's own "default" product: anyone allowed BatchImportFindings writes findings under it. */
const THIRD_PARTY_PRODUCT = `arn:aws:securityhub:${FIXTURE_REGION}:${FIXTURE_ACCOUNT}:product/${FIXTURE_ACCOUNT}/default`;
const ALL_ON = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};
const ALLOW_ALL = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});
/** Short: each remediation's result comes after its cool-down. */
const COOLDOWN_MS = 300;

/**
 * The worker's detector clients: GuardDuty and AWS Config on the stand-in (moto lacks their reads), Security Hub and
 * CloudWatch on moto. Only the confirmation uses them; every change goes through the stack's moto clients.
 */
class DetectorClients extends AwsClients {
  constructor(
    motoEndpoint: string,
    private readonly standIn: AwsClients,
  ) {
    super({ endpoint: motoEndpoint, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  }

  override guardduty(account: string, region: string) {
    return this.standIn.guardduty(account, region);
  }

  override config(account: string, region: string) {
    return this.standIn.config(account, region);
  }

  override destroy(): void {
    this.standIn.destroy();
    super.destroy();
  }
}

let stack: WorkflowStack;
let detectors: DetectorStandIn;
let sts: StsStandIn;
let detectorClients: DetectorClients;
let ec2: EC2Client;
let iam: IAMClient;
let securityHub: SecurityHubClient;

beforeAll(async () => {
  [stack, detectors, sts] = await startTogether([
    startWorkflowStack(),
    startDetectorStandIn(),
    startStsStandIn({
      [APPROVER.accessKeyId]: {
        secret: APPROVER.secretAccessKey,
        arn: APPROVER.arn,
        account: FIXTURE_ACCOUNT,
      },
      [BOB.accessKeyId]: {
        secret: BOB.secretAccessKey,
        arn: BOB.arn,
        account: FIXTURE_ACCOUNT,
      },
      [DEVELOPER.accessKeyId]: {
        secret: DEVELOPER.secretAccessKey,
        arn: DEVELOPER.arn,
        account: FIXTURE_ACCOUNT,
      },
    }),
  ]);
  detectorClients = new DetectorClients(
    stack.moto.endpoint,
    new AwsClients({ endpoint: detectors.endpoint, credentials: TEST_CREDENTIALS, maxAttempts: 1 }),
  );
  ec2 = motoEc2(stack.moto.endpoint);
  iam = new IAMClient({ endpoint: stack.moto.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
  securityHub = new SecurityHubClient({
    endpoint: stack.moto.endpoint,
    region: FIXTURE_REGION,
    credentials: TEST_CREDENTIALS,
  });
  // The detector exists and is the account's; which findings it holds, each test says.
  detectors.guardDutyFindings.set(DETECTOR, []);
});
afterAll(async () => {
  ec2?.destroy();
  iam?.destroy();
  securityHub?.destroy();
  detectorClients?.destroy();
  await sts?.stop();
  await detectors?.close();
  await stack?.stop();
});

type Handle = WorkflowHandle;

/** Runs `fn` while a worker with the strict policy (and `overrides` on its playbook settings) serves a new queue. */
async function withWorker<T>(
  overrides: Partial<PlaybookSettings>,
  fn: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const taskQueue = `forgery-${randomUUID()}`;
  useWorkerPolicy(taskQueue, fastSettings(overrides, COOLDOWN_MS), STRICT);
  const activities = stack.activities(undefined, {
    confirmFinding: createFindingConfirmation(detectorClients),
    verifyIdentity: createIdentityVerifier({ stsEndpoint: sts.endpoint }),
  });
  const worker = await stack.worker(taskQueue, activities);
  return worker.runUntil(fn(taskQueue));
}

/** What a forger with namespace access does: signal-with-start the resource's execution, no ingest in between. */
function startDirectly(
  taskQueue: string,
  finding: Finding,
  playbook: string,
  input: unknown = { resource: finding.resource },
): Promise<Handle> {
  return stack.env.client.workflow.signalWithStart(REMEDIATION_WORKFLOW_TYPE, {
    workflowId: remediationWorkflowId(finding.resource),
    taskQueue,
    args: [input],
    signal: findingSignal,
    signalArgs: [{ finding, playbook }],
  });
}

async function resultOf(handle: Handle): Promise<RemediationResult> {
  return (await handle.result()) as RemediationResult;
}

const newName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 12)}`;
const blockOf = (bucket: string) => publicAccessBlockOf(stack.raw.s3, bucket);

/** A GuardDuty finding as the stand-in holds it (GetFindings' wire shape). */
function guardDutyRecord(
  id: string,
  type: string,
  resource: Record<string, unknown>,
  resourceRole: 'ACTOR' | 'TARGET',
): GuardDutyWireFinding {
  return {
    id,
    accountId: FIXTURE_ACCOUNT,
    region: FIXTURE_REGION,
    type,
    severity: 8,
    resource,
    service: { serviceName: 'guardduty', detectorId: DETECTOR, resourceRole, archived: false },
  };
}

function holdGuardDutyFinding(record: GuardDutyWireFinding): void {
  detectors.guardDutyFindings.get(DETECTOR)?.push(record);
}

function holdConfigResult(bucket: string, complianceType: 'COMPLIANT' | 'NON_COMPLIANT'): void {
  detectors.evaluations.push({
    ruleName: S3_RULE,
    resourceType: 'AWS::S3::Bucket',
    resourceId: bucket,
    complianceType,
  });
}

/** The GuardDuty details a normalised event carries, for a finding the stand-in may or may not hold. */
function guardDutyDetails(findingId: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    guardDutyFindingId: findingId,
    guardDutyDetectorId: DETECTOR,
    guardDutyRegion: FIXTURE_REGION,
    ...extra,
  };
}

/** A random access key id of the shape GuardDuty reports (`ASIA` + 16). */
function sessionKeyId(): string {
  return `ASIA${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`;
}

// --- What on-call received: the on-call topic's SQS inbox, drained once and kept, since every test shares it. ---

interface Page {
  readonly subject: string;
  readonly body: string;
  /** The machine-readable record of a workflow's page (absent for the ingest's security alerts). */
  readonly record?: AuditRecord;
}

const received: Page[] = [];

function pageOf(body: string | undefined): Page {
  const sns = JSON.parse(body ?? '{}') as { Subject?: string; Message?: string };
  const message = sns.Message ?? '';
  const marker = '--- machine-readable record ---\n';
  const at = message.indexOf(marker);
  const record = at >= 0 ? (JSON.parse(message.slice(at + marker.length)) as AuditRecord) : undefined;
  return { subject: sns.Subject ?? '', body: message, ...(record ? { record } : {}) };
}

/** The pages matching `match`, once at least `count` arrived (or after `timeoutMs`, with what did). */
async function pages(match: (p: Page) => boolean, count: number, timeoutMs = 10_000): Promise<Page[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = received.filter(match);
    if (found.length >= count || Date.now() > deadline) return found;
    const out = await stack.raw.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.resources.oncallInboxUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) continue;
    received.push(...messages.map((m) => pageOf(m.Body)));
    // Kept here: deleted so they do not come back after the visibility timeout and count twice.
    await stack.raw.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: stack.resources.oncallInboxUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
  }
}

const pagesFor = (workflowId: string, count: number) =>
  pages((p) => p.record?.workflowId === workflowId, count);

/** Every audit object written for `workflowId` (keys are `audit/<day>/<workflow id>/<run id>/<kind>-<at>.json`). */
async function auditRecords(workflowId: string): Promise<AuditRecord[]> {
  const safeId = workflowId.replace(/[^A-Za-z0-9/._-]/g, '_');
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await stack.raw.s3.send(
      new ListObjectsV2Command({
        Bucket: stack.resources.auditBucket,
        Prefix: 'audit/',
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const o of out.Contents ?? []) if (o.Key && o.Key.includes(`/${safeId}/`)) keys.push(o.Key);
    token = out.NextContinuationToken;
  } while (token);
  return Promise.all(
    keys.map(async (Key) => {
      const object = await stack.raw.s3.send(
        new GetObjectCommand({ Bucket: stack.resources.auditBucket, Key }),
      );
      return JSON.parse((await object.Body?.transformToString()) ?? '{}') as AuditRecord;
    }),
  );
}

/** The refusal is recorded (an audit object of `kind`) and paged to on-call, with its reason. */
async function expectRecordedAndPaged(
  workflowId: string,
  kind: AuditRecord['kind'],
  reason: RegExp,
  count = 1,
): Promise<void> {
  const audited = (await auditRecords(workflowId)).filter((r) => r.kind === kind);
  expect(audited).toHaveLength(count);
  for (const r of audited) expect(r.reason).toMatch(reason);
  const paged = (await pagesFor(workflowId, count)).filter((p) => p.record?.kind === kind);
  expect(paged).toHaveLength(count);
  for (const p of paged) expect(p.record?.reason).toMatch(reason);
}

// --- EC2 and IAM state, read before and after ---

async function instanceGroups(instanceId: string) {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = out.Reservations?.[0]?.Instances?.[0];
  return {
    instance: instance?.SecurityGroups?.map((g) => g.GroupId).sort(),
    interfaces: instance?.NetworkInterfaces?.map((n) => n.Groups?.map((g) => g.GroupId).sort()),
    httpTokens: instance?.MetadataOptions?.HttpTokens,
  };
}

async function allGroupIds(): Promise<string[]> {
  const out = await ec2.send(new DescribeSecurityGroupsCommand({}));
  return (out.SecurityGroups ?? []).map((g) => g.GroupId ?? '').sort();
}

async function keyStatus(userName: string): Promise<string | undefined> {
  const out = await iam.send(new ListAccessKeysCommand({ UserName: userName }));
  return out.AccessKeyMetadata?.[0]?.Status;
}

/** Every inline policy of a user, decoded: no forged document may have been written. */
async function userPolicies(userName: string): Promise<string[]> {
  const names = (await iam.send(new ListUserPoliciesCommand({ UserName: userName }))).PolicyNames ?? [];
  return Promise.all(
    names.map(async (PolicyName) =>
      decodeURIComponent(
        (await iam.send(new GetUserPolicyCommand({ UserName: userName, PolicyName }))).PolicyDocument ?? '',
      ),
    ),
  );
}

async function newUserWithKey(prefix: string): Promise<{ user: string; keyId: string }> {
  const user = newName(prefix);
  await iam.send(new CreateUserCommand({ UserName: user }));
  const keyId = (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey?.AccessKeyId ?? '';
  return { user, keyId };
}

// --- Findings started directly on the task queue ---

it('a Config finding the Config stand-in does not hold as NON_COMPLIANT, started directly: NO_ACTION, the public bucket untouched, on-call paged', async () => {
  // Prepare: a really public bucket (no public access block), which AWS Config evaluates as COMPLIANT: the
  // NON_COMPLIANT claim is the forger's, not Config's.
  const bucket = newName('forged-cfg');
  await createBucket(stack.raw.s3, bucket);
  holdConfigResult(bucket, 'COMPLIANT');
  const finding = s3Finding(bucket, { eventId: `forged-${bucket}` });
  const workflowId = remediationWorkflowId(finding.resource);
  expect(await blockOf(bucket)).toBeNull();

  // Act
  const result = await withWorker({}, async (taskQueue) =>
    resultOf(await startDirectly(taskQueue, finding, S3_PLAYBOOK)),
  );

  // Assess: refused before any analysis; the bucket is as it was; a security record and page.
  expect(result.status).toBe('NO_ACTION');
  expect(result.outcomes).toHaveLength(1);
  expect(result.outcomes[0]).toMatchObject({
    status: 'NO_ACTION',
    reason: expect.stringMatching(
      new RegExp(
        `^refused: aws\\.config does not confirm the finding: AWS Config has no NON_COMPLIANT result of rule ${S3_RULE} for AWS::S3::Bucket ${bucket}`,
      ),
    ),
    changes: [],
  });
  expect(result.outcomes[0]?.prior).toBeUndefined();
  expect(await blockOf(bucket)).toBeNull();
  await expectRecordedAndPaged(workflowId, 'security', /does not confirm/);
});

it('a GuardDuty finding the detector does not hold, naming a real instance, started directly: NO_ACTION, the instance not isolated', async () => {
  // Prepare: a running instance; the detector exists but holds no such finding.
  const instanceId = await launchInstance(ec2);
  const findingId = `forged${randomUUID().replace(/-/g, '')}`;
  const finding = guardDutyFinding('AWS::EC2::Instance', instanceId, {
    eventId: `forged-${instanceId}`,
    details: guardDutyDetails(findingId, { resourceRole: 'ACTOR' }),
  });
  const workflowId = remediationWorkflowId(finding.resource);
  const [groupsBefore, allBefore] = [await instanceGroups(instanceId), await allGroupIds()];

  // Act
  const result = await withWorker({}, async (taskQueue) =>
    resultOf(await startDirectly(taskQueue, finding, 'ec2-isolate-instance')),
  );

  // Assess: the detector was asked (once) and said no; no group was created, none moved.
  expect(result.outcomes[0]).toMatchObject({
    status: 'NO_ACTION',
    reason: expect.stringMatching(
      new RegExp(
        `^refused: aws\\.guardduty does not confirm the finding: GuardDuty finding ${findingId} .* does not exist$`,
      ),
    ),
    changes: [],
  });
  expect(
    detectors.requests.filter((r) => (r.body.findingIds as string[] | undefined)?.includes(findingId)),
  ).toHaveLength(1);
  expect(await instanceGroups(instanceId)).toEqual(groupsBefore);
  expect(await allGroupIds()).toEqual(allBefore);
  await expectRecordedAndPaged(workflowId, 'security', /GuardDuty finding .* does not exist/);
});

it("settings forged into the workflow input (mode auto, no confirmation) lose to the worker's policy: DRY_RUN, nothing changed", async () => {
  // Prepare: a genuine finding (Config holds it), on a queue whose worker policy says dryRun for every playbook.
  const bucket = newName('forged-settings');
  await createBucket(stack.raw.s3, bucket);
  holdConfigResult(bucket, 'NON_COMPLIANT');
  const finding = s3Finding(bucket, { eventId: `forged-${bucket}` });
  const workflowId = remediationWorkflowId(finding.resource);
  const forgedInput = {
    resource: finding.resource,
    policyVersion: 'forged',
    settings: {
      cooldownMs: 0,
      playbooks: { [S3_PLAYBOOK]: { ...fastSettings().playbooks[S3_PLAYBOOK], mode: 'auto' } },
    },
    trust: { confirmAtSource: false, allowUnsignedDecisions: true, approvers: { '*': ['*'] } },
    mode: 'auto',
  } as never;
  const configReads = () => detectors.requests.filter((r) => r.body.ResourceId === bucket).length;

  // Act
  const result = await withWorker({ mode: 'dryRun' }, async (taskQueue) =>
    resultOf(await startDirectly(taskQueue, finding, S3_PLAYBOOK, forgedInput)),
  );

  // Assess: the worker's mode applied, and its trust too (the detector was asked despite the forged trust).
  expect(result.outcomes[0]).toMatchObject({
    status: 'DRY_RUN',
    reason: expect.stringMatching(/^dry run, nothing changed; would: /),
    changes: [],
  });
  expect(configReads()).toBe(1);
  expect(await blockOf(bucket)).toBeNull();
  // The forged settings were ignored, and on-call hears that someone tried.
  await expectRecordedAndPaged(workflowId, 'security', /the workflow input carried settings: ignored/);
  const audited = await auditRecords(workflowId);
  expect(audited.map((r) => [r.kind, r.status]).sort()).toEqual([
    ['outcome', 'DRY_RUN'],
    ['security', 'NO_ACTION'],
  ]);
});

it('a finding for an account outside the allow-list (999999999999), started directly: NO_ACTION, nothing read or changed, on-call paged', async () => {
  // Prepare: a public bucket of that name exists (in moto's account); the finding says it is 999999999999's.
  const bucket = newName('forged-acct');
  await createBucket(stack.raw.s3, bucket);
  holdConfigResult(bucket, 'NON_COMPLIANT');
  const finding = s3Finding(bucket, {
    eventId: `forged-${bucket}`,
    resource: { ...s3Finding(bucket).resource, account: '999999999999' },
  });
  const workflowId = remediationWorkflowId(finding.resource);

  // Act
  const result = await withWorker({}, async (taskQueue) =>
    resultOf(await startDirectly(taskQueue, finding, S3_PLAYBOOK)),
  );

  // Assess: refused on the worker's own allow-list, before even the detector was asked.
  expect(result.outcomes[0]).toMatchObject({
    status: 'NO_ACTION',
    reason: expect.stringMatching(/^refused: account 999999999999 is not one the remediator serves/),
    changes: [],
  });
  expect(detectors.requests.filter((r) => r.body.ResourceId === bucket)).toEqual([]);
  expect(await blockOf(bucket)).toBeNull();
  await expectRecordedAndPaged(workflowId, 'security', /not one the remediator serves/);
});

it('a genuine GuardDuty finding naming a protected role (OrganizationAccountAccessRole): ESCALATED with a ticket and a page, the role untouched', async () => {
  // Prepare: the role exists; GuardDuty really holds the finding about one of its sessions.
  const role = 'OrganizationAccountAccessRole';
  await iam
    .send(
      new CreateRoleCommand({
        RoleName: role,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: 'arn:aws:iam::111111111111:root' },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    )
    .catch((err: Error) => {
      if (err.name !== 'EntityAlreadyExists') throw err;
    });
  const keyId = sessionKeyId();
  const findingId = `protected${randomUUID().replace(/-/g, '')}`;
  const control = 'UnauthorizedAccess:IAMUser/MaliciousIPCaller';
  holdGuardDutyFinding(
    guardDutyRecord(
      findingId,
      control,
      {
        resourceType: 'AccessKey',
        accessKeyDetails: { accessKeyId: keyId, userName: role, userType: 'AssumedRole' },
      },
      'TARGET',
    ),
  );
  const finding = guardDutyFinding('AWS::IAM::AccessKey', keyId, {
    control,
    eventId: `protected-${keyId}`,
    details: guardDutyDetails(findingId, {
      resourceRole: 'TARGET',
      accessKeyId: keyId,
      userName: role,
      userType: 'AssumedRole',
    }),
  });
  const workflowId = remediationWorkflowId(finding.resource);
  const rolePolicies = async () => [
    (await iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames,
    (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }))).AttachedPolicies,
  ];
  const before = await rolePolicies();

  // Act
  const result = await withWorker({}, async (taskQueue) =>
    resultOf(await startDirectly(taskQueue, finding, 'iam-contain-access-key')),
  );

  // Assess: escalated for a person, never contained automatically.
  expect(result.outcomes[0]).toMatchObject({
    status: 'ESCALATED',
    reason: expect.stringMatching(new RegExp(`names ${role}, a protected principal`)),
    escalation: { errorType: 'Protected', ticket: expect.stringMatching(/^REM-/) },
    changes: [],
  });
  expect(await rolePolicies()).toEqual(before);
  await expectRecordedAndPaged(workflowId, 'escalation', /a protected principal/);
});

it('a Security Hub finding imported by a third-party product (BatchImportFindings), started directly: NO_ACTION, the instance unchanged', async () => {
  // Prepare: an instance that accepts IMDSv1, and an EC2.8 "finding" about it imported under the account's default
  // product, which anyone allowed BatchImportFindings can write.
  const instanceId = await launchInstance(ec2, { MetadataOptions: { HttpTokens: 'optional' } });
  const recordId = `forged-${randomUUID()}`;
  const imported: AwsSecurityFinding = {
    SchemaVersion: '2018-10-08',
    Id: recordId,
    ProductArn: THIRD_PARTY_PRODUCT,
    GeneratorId: 'security-control/EC2.8',
    AwsAccountId: FIXTURE_ACCOUNT,
    Types: ['Software and Configuration Checks/Industry and Regulatory Standards'],
    CreatedAt: new Date().toISOString(),
    UpdatedAt: new Date().toISOString(),
    Severity: { Label: 'HIGH', Normalized: 70 },
    Title: 'EC2 instances should use IMDSv2',
    Description: 'forged',
    ProductFields: { 'aws/securityhub/ProductName': 'Default' },
    Resources: [
      {
        Type: 'AwsEc2Instance',
        Id: `arn:aws:ec2:${FIXTURE_REGION}:${FIXTURE_ACCOUNT}:instance/${instanceId}`,
        Region: FIXTURE_REGION,
      },
    ],
    Compliance: { Status: 'FAILED', SecurityControlId: 'EC2.8' },
    Workflow: { Status: 'NEW' },
    RecordState: 'ACTIVE',
  };
  expect((await securityHub.send(new BatchImportFindingsCommand({ Findings: [imported] }))).FailedCount).toBe(
    0,
  );
  // Two claims: the product as it is, and the same record passed off as Security Hub's own control.
  const claim = (productArn: string, eventId: string): Finding => ({
    source: 'aws.securityhub',
    control: 'EC2.8',
    state: 'FAILED',
    resource: {
      account: FIXTURE_ACCOUNT,
      region: FIXTURE_REGION,
      resourceType: 'AWS::EC2::Instance',
      resourceId: instanceId,
    },
    severity: 7,
    title: 'EC2 instances should use IMDSv2',
    observedAt: new Date().toISOString(),
    eventId,
    details: { complianceStatus: 'FAILED', findingId: recordId, productArn },
  });
  const asIs = claim(THIRD_PARTY_PRODUCT, `forged-asis-${instanceId}`);
  const passedOff = claim(SECURITY_HUB_PRODUCT, `forged-passed-off-${instanceId}`);
  const workflowId = remediationWorkflowId(asIs.resource);
  const before = await instanceGroups(instanceId);

  // Act: both findings to the same execution, one after the other.
  const result = await withWorker({}, async (taskQueue) => {
    const handle = await startDirectly(taskQueue, asIs, 'ec2-enforce-imdsv2');
    await handle.signal(findingSignal, { finding: passedOff, playbook: 'ec2-enforce-imdsv2' });
    return resultOf(handle);
  });

  // Assess
  expect(result.outcomes.map((o) => [o.finding.eventId, o.status, o.reason])).toEqual([
    [
      asIs.eventId,
      'NO_ACTION',
      `refused: aws.securityhub does not confirm the finding: product ${THIRD_PARTY_PRODUCT} is not Security Hub's own controls`,
    ],
    [
      passedOff.eventId,
      'NO_ACTION',
      `refused: aws.securityhub does not confirm the finding: Security Hub finding ${recordId} does not exist`,
    ],
  ]);
  expect(await instanceGroups(instanceId)).toEqual(before);
  expect(before.httpTokens).toBe('optional');
  await expectRecordedAndPaged(workflowId, 'security', /aws\.securityhub does not confirm/, 2);
});

// --- Operator decisions ---

/** Polls until the execution waits for a decision. */
async function waitingRequest(handle: Handle): Promise<ApprovalRequest> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ask = await handle.query(pendingApprovalQuery);
    if (ask) return ask;
    if (Date.now() > deadline) throw new Error('no approval request');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Sends the decision by update and returns the refusal's message (fails if it was accepted). While the previous
 * decision's check is still finishing, the validator asks to try again in a moment: that is not the refusal tested.
 */
async function refusalOf(handle: Handle, decision: ApprovalDecision): Promise<string> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await handle.executeUpdate(approvalUpdate, { args: [decision] });
    } catch (err) {
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      const message = (err as WorkflowUpdateFailedError).cause?.message ?? '';
      if (/being verified/.test(message) && attempt < 20) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      return message;
    }
    throw new Error(`the decision was accepted: ${JSON.stringify(decision)}`);
  }
}

function signAs(who: { accessKeyId: string; secretAccessKey: string }, claim: DecisionClaim, now?: Date) {
  return signDecision(claim, {
    region: FIXTURE_REGION,
    endpoint: sts.endpoint,
    credentials: { accessKeyId: who.accessKeyId, secretAccessKey: who.secretAccessKey },
    ...(now ? { now } : {}),
  });
}

it('forged approval identities are refused and paged (unsigned update and signal, a non-approver, a signature for another decision, an expired one); the genuine signed approval still works', async () => {
  // Prepare: a public bucket Config really holds as NON_COMPLIANT, on a queue whose policy asks for approval.
  const bucket = newName('forged-approval');
  await createBucket(stack.raw.s3, bucket);
  holdConfigResult(bucket, 'NON_COMPLIANT');
  const finding = s3Finding(bucket, { eventId: `approval-${bucket}` });
  const workflowId = remediationWorkflowId(finding.resource);
  const securityPages = async (count: number) =>
    (await pagesFor(workflowId, count)).filter((p) => p.record?.kind === 'security');

  const { result, refusals, receipt, stillWaiting } = await withWorker(
    { mode: 'approve' },
    async (taskQueue) => {
      const handle = await startDirectly(taskQueue, finding, S3_PLAYBOOK);
      const ask = await waitingRequest(handle);
      const reason = 'CHG-1234: block public access';
      const claim = (kind: 'approve' | 'reject'): DecisionClaim => ({
        kind,
        target: workflowId,
        requestId: ask.requestId,
        reason,
      });
      const approve = {
        decision: 'approve',
        reason,
        by: 'security-lead@corp',
        requestId: ask.requestId,
      } as const;
      const refused: string[] = [];

      // (a) An update that only says who it is.
      refused.push(await refusalOf(handle, approve));
      expect(await securityPages(1)).toHaveLength(1);
      // (b) The same as the Web UI's signal: cannot be refused, so it is ignored and the request keeps waiting.
      await handle.signal(approvalSignal, approve);
      expect(await securityPages(2)).toHaveLength(2);
      const waiting = await handle.query(pendingApprovalQuery);
      // (c) Signed, genuinely, by someone who is not an approver.
      refused.push(
        await refusalOf(handle, { ...approve, signature: await signAs(DEVELOPER, claim('approve')) }),
      );
      // (d) An approver's genuine signature of another decision (a rejection), presented with an approval.
      refused.push(
        await refusalOf(handle, { ...approve, signature: await signAs(APPROVER, claim('reject')) }),
      );
      // (e) An approver's signature of this very decision, made 10 minutes ago.
      refused.push(
        await refusalOf(handle, {
          ...approve,
          signature: await signAs(APPROVER, claim('approve'), new Date(Date.now() - 10 * 60_000)),
        }),
      );
      expect(await securityPages(5)).toHaveLength(5);
      expect(await blockOf(bucket)).toBeNull();

      // (f) The genuine path: an approver signs this decision now.
      const accepted = await handle.executeUpdate(approvalUpdate, {
        args: [{ ...approve, signature: await signAs(APPROVER, claim('approve')) }],
      });
      return { result: await resultOf(handle), refusals: refused, receipt: accepted, stillWaiting: waiting };
    },
  );

  // Assess: each forgery refused with its reason; the one signal ignored (the request still waited after it).
  expect(refusals).toEqual([
    'the decision is not signed, and the policy refuses unsigned decisions',
    `${DEVELOPER.arn} is not an approver for ${S3_PLAYBOOK} in the policy`,
    expect.stringMatching(/^the signature is refused: signed for another decision/),
    expect.stringMatching(/^the signature is refused: the signature expired at /),
  ]);
  expect(stillWaiting?.requestId).toBe(`${finding.eventId}#1`);
  // The decider recorded is the ARN STS vouched for, never the `by` label.
  expect(receipt).toMatchObject({ decision: 'approve', by: APPROVER.arn });
  expect(result.status).toBe('REMEDIATED');
  expect(result.outcomes[0]?.approval).toMatchObject({ decision: 'approve', by: APPROVER.arn });
  expect(await blockOf(bucket)).toEqual(ALL_ON);
  // Five refusals, five security records and pages; the accepted approval pages nobody.
  const paged = await securityPages(5);
  expect(paged.map((p) => p.record?.status)).toEqual(Array(5).fill('REJECTED'));
  expect(paged.map((p) => p.record?.reason)).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/refused a approve decision .*: the decision is not signed/),
      expect.stringMatching(/is not an approver/),
      expect.stringMatching(/signed for another decision/),
      expect.stringMatching(/the signature expired at/),
    ]),
  );
  const audited = (await auditRecords(workflowId)).filter((r) => r.kind === 'security');
  expect(audited).toHaveLength(5);
});

// --- Rollback ---

/** Starts a rollback as anyone with namespace access could: on the task queue, with any input. */
async function rollbackDirectly(
  taskQueue: string,
  input: Record<string, unknown>,
  workflowId = `forged-rollback/${randomUUID()}`,
): Promise<RollbackResult> {
  const handle = await stack.env.client.workflow.start(ROLLBACK_WORKFLOW_TYPE, {
    workflowId,
    taskQueue,
    args: [input as never],
  });
  return (await handle.result()) as RollbackResult;
}

it('a rollback started directly with a forged prior state in its input: unsigned, REFUSED and paged; signed by an approver and approved by a second one, it restores only the recorded prior state (never the allow-all document, never another key)', async () => {
  // Prepare: a user whose key GuardDuty really reports (the remediation contains it); and a victim whose key the
  // security team deactivated, which the forged prior state says to reactivate.
  const { user, keyId } = await newUserWithKey('rb-real');
  const victim = await newUserWithKey('rb-victim');
  await iam.send(
    new UpdateAccessKeyCommand({ UserName: victim.user, AccessKeyId: victim.keyId, Status: 'Inactive' }),
  );
  const control = 'UnauthorizedAccess:IAMUser/MaliciousIPCaller';
  const findingId = `key${randomUUID().replace(/-/g, '')}`;
  holdGuardDutyFinding(
    guardDutyRecord(
      findingId,
      control,
      {
        resourceType: 'AccessKey',
        accessKeyDetails: { accessKeyId: keyId, userName: user, userType: 'IAMUser' },
      },
      'TARGET',
    ),
  );
  const finding = guardDutyFinding('AWS::IAM::AccessKey', keyId, {
    control,
    eventId: `rb-${keyId}`,
    details: guardDutyDetails(findingId, {
      resourceRole: 'TARGET',
      accessKeyId: keyId,
      userName: user,
      userType: 'IAMUser',
    }),
  });
  const workflowId = remediationWorkflowId(finding.resource);
  const at = new Date().toISOString();
  const forgedPrior = {
    userName: victim.user,
    accessKeyId: victim.keyId,
    status: 'Active',
    denyPolicyBefore: ALLOW_ALL,
    capturedAt: at,
  };
  // What the forger adds to a rollback request: an outcome and a prior state of its own making.
  const forgedFields = {
    outcome: {
      finding,
      playbook: 'iam-contain-access-key',
      status: 'REMEDIATED',
      reason: 'forged',
      prior: forgedPrior,
      changes: [
        { step: 'deny-older-sessions', changed: true, detail: 'forged', prior: forgedPrior, at },
        { step: 'deactivate-access-key', changed: true, detail: 'forged', prior: forgedPrior, at },
      ],
      compensations: [],
      startedAt: at,
      finishedAt: at,
    },
    prior: forgedPrior,
  };
  const unsignedId = `forged-rollback/${randomUUID()}`;
  const reason = 'false positive: the key owner was travelling';

  // Act: a genuine remediation; the forged rollback naming its run, unsigned; then the genuine path.
  const {
    replayedElsewhere,
    remediated,
    unsigned,
    containedMeanwhile,
    rollbackId,
    refusals,
    stillWaiting,
    receipt,
    signed,
  } = await withWorker({ options: { denyOlderSessions: true } }, async (taskQueue) => {
    const handle = await startDirectly(taskQueue, finding, 'iam-contain-access-key');
    const r = await resultOf(handle);
    const { runId } = await handle.describe();
    // (1) Unsigned, started directly with the forged fields: the strict policy refuses unsigned decisions.
    const refusedRollback = await rollbackDirectly(
      taskQueue,
      {
        target: { workflowId, runId },
        reason: 'false positive',
        by: 'mallory@host',
        force: true,
        exemptForMs: 0,
        ...forgedFields,
      },
      unsignedId,
    );
    const meanwhile = { key: await keyStatus(user), policies: (await userPolicies(user)).length };

    // (2) The genuine path, the forged fields still in the input: alice (an approver) signs the request ...
    const request = {
      target: { workflowId, runId },
      reason,
      by: 'alice@corp',
      force: false,
      exemptForMs: 0,
      requestId: randomUUID(),
    };
    const id = rollbackWorkflowId(workflowId, runId);
    const signature = await signAs(APPROVER, rollbackClaim(request, id));
    // The same signed request started under another id: the signature is bound to the rollback's own id.
    const elsewhere = await rollbackDirectly(taskQueue, { ...request, signature });
    const rollbackHandle = await stack.env.client.workflow.start(ROLLBACK_WORKFLOW_TYPE, {
      workflowId: id,
      taskQueue,
      args: [{ ...request, signature, ...forgedFields } as never],
    });
    // ... and a containment waits for a second approver.
    const ask = await waitingRequest(rollbackHandle);
    const approveClaim: DecisionClaim = {
      kind: 'approve',
      target: id,
      requestId: ask.requestId,
      reason: 'checked with the key owner',
    };
    const approve = {
      decision: 'approve',
      reason: 'checked with the key owner',
      by: 'someone@corp',
      requestId: ask.requestId,
    } as const;
    const refused: string[] = [];
    // (a) alice approves her own rollback, genuinely signed.
    refused.push(
      await refusalOf(rollbackHandle, { ...approve, signature: await signAs(APPROVER, approveClaim) }),
    );
    // (b) mallory, genuinely signed, but not an approver.
    refused.push(
      await refusalOf(rollbackHandle, { ...approve, signature: await signAs(DEVELOPER, approveClaim) }),
    );
    const waiting = await rollbackHandle.query(pendingApprovalQuery);
    // (c) bob, another approver, signs the approval.
    const accepted = await rollbackHandle.executeUpdate(approvalUpdate, {
      args: [{ ...approve, signature: await signAs(BOB, approveClaim) }],
    });
    return {
      replayedElsewhere: elsewhere,
      remediated: r,
      unsigned: refusedRollback,
      containedMeanwhile: meanwhile,
      rollbackId: id,
      refusals: refused,
      stillWaiting: waiting,
      receipt: accepted,
      signed: (await rollbackHandle.result()) as RollbackResult,
    };
  });

  // Assess: the remediation really contained the key (so there was something to roll back) ...
  expect(remediated.status).toBe('REMEDIATED');
  expect(remediated.outcomes[0]?.changes.map((c) => [c.step, c.changed])).toEqual([
    ['deactivate-access-key', true],
    ['deny-older-sessions', true],
  ]);
  // ... (1) the unsigned rollback was refused before anything was read or restored: the key stayed contained ...
  expect(unsigned).toMatchObject({
    status: 'REFUSED',
    reason:
      'the rollback request is refused: the decision is not signed, and the policy refuses unsigned decisions',
    restored: [],
  });
  expect(unsigned.approvedBy).toBeUndefined();
  expect(containedMeanwhile).toEqual({ key: 'Inactive', policies: 1 });
  await expectRecordedAndPaged(
    unsignedId,
    'security',
    /^refused a rollback decision .*: the decision is not signed/,
  );
  // ... the genuinely signed request, started again under another id, was refused: it was signed for its own id ...
  expect(replayedElsewhere).toMatchObject({ status: 'REFUSED', restored: [] });
  expect(replayedElsewhere.reason).toMatch(/signed for another decision/);
  // ... (2) the requester and a non-approver could not be the second approver (each refusal recorded and paged) ...
  expect(refusals).toEqual([
    `${APPROVER.arn} has already decided: a second approver must be someone else`,
    `${DEVELOPER.arn} is not an approver for iam-contain-access-key in the policy`,
  ]);
  expect(stillWaiting?.requestId).toBe('rollback#1');
  await expectRecordedAndPaged(
    rollbackId,
    'security',
    /^refused a approve decision \(request rollback#1\): .*(has already decided|is not an approver)/,
    2,
  );
  // ... and the signed, twice-approved rollback restored what the remediation recorded, by the ARNs STS vouched for.
  expect(receipt).toMatchObject({ requestId: 'rollback#1', decision: 'approve', by: BOB.arn });
  expect(signed).toMatchObject({
    status: 'ROLLED_BACK',
    by: APPROVER.arn,
    approvedBy: [APPROVER.arn, BOB.arn],
    unrestored: [],
    restored: [
      expect.objectContaining({ step: 'deny-older-sessions', changed: true }),
      expect.objectContaining({ step: 'deactivate-access-key', changed: true }),
    ],
  });
  expect(signed.exemptUntil).toBeUndefined();
  expect(await keyStatus(user)).toBe('Active');
  expect(await userPolicies(user)).toEqual([]);
  // The forged prior state was never used: the victim's key stays off and no document that allows was written.
  expect(await keyStatus(victim.user)).toBe('Inactive');
  expect(await userPolicies(victim.user)).toEqual([]);
  for (const document of [...(await userPolicies(user)), ...(await userPolicies(victim.user))]) {
    expect(document).not.toMatch(/"Effect"\s*:\s*"Allow"/);
  }
  const audited = (await auditRecords(workflowId)).filter((r) => r.kind === 'rollback');
  // Refused: the unsigned request and the signed one started under another id; rolled back: the genuine one.
  expect(audited.map((r) => r.status).sort()).toEqual(['REJECTED', 'REJECTED', 'ROLLED_BACK']);
});

it('a rollback started directly for a workflow that is not a remediation (the control workflow, an unknown run): REFUSED, nothing changed', async () => {
  // Prepare: a bucket its owner blocked; a remediation-shaped id naming it, with a run that never existed.
  const bucket = newName('rb-nothing');
  await createBucket(stack.raw.s3, bucket);
  await stack.raw.s3.send(
    new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: ALL_ON }),
  );
  const unknownId = remediationWorkflowId(s3Finding(bucket).resource);
  const forged = (workflowId: string, runId: string) => ({
    target: { workflowId, runId },
    reason: 'open it',
    by: 'mallory@host',
    force: true,
    exemptForMs: 0,
    outcome: {
      finding: s3Finding(bucket),
      playbook: S3_PLAYBOOK,
      status: 'REMEDIATED',
      prior: { publicAccessBlock: null },
      changes: [{ step: 'put-public-access-block', changed: true, prior: { publicAccessBlock: null } }],
    },
  });

  // Act
  const { control, unknown } = await withWorker({}, async (taskQueue) => {
    // The queue's control workflow (anyone with namespace access can start it; the worker would, on first use).
    await stack.env.client.workflow
      .start(CONTROL_WORKFLOW_TYPE, { workflowId: controlWorkflowId(taskQueue), taskQueue, args: [] })
      .catch((err: unknown) => {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      });
    const { runId } = await stack.env.client.workflow.getHandle(controlWorkflowId(taskQueue)).describe();
    return {
      control: await rollbackDirectly(taskQueue, forged(controlWorkflowId(taskQueue), runId)),
      unknown: await rollbackDirectly(taskQueue, forged(unknownId, randomUUID())),
    };
  });

  // Assess
  expect(control).toMatchObject({
    status: 'REFUSED',
    reason: expect.stringMatching(
      /is a remediationControlWorkflow, not a remediation: nothing recorded to roll back$/,
    ),
    restored: [],
  });
  expect(unknown).toMatchObject({
    status: 'REFUSED',
    reason: expect.stringMatching(
      new RegExp(`^no remediation ${unknownId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} run `),
    ),
    restored: [],
  });
  expect(unknown.exemptUntil).toBeUndefined();
  expect(await blockOf(bucket)).toEqual(ALL_ON);
  const audited = await auditRecords(unknownId);
  expect(audited.map((r) => [r.kind, r.status])).toEqual([['rollback', 'REJECTED']]);
  // No record backs either request (the CLI would have refused them itself): both paged on-call.
  await expectRecordedAndPaged(unknownId, 'rollback', /^rollback refused .*: no remediation /);
  await expectRecordedAndPaged(control.target.workflowId, 'rollback', /not a remediation/);
});

it('a rollback naming a remediation run whose own input carried forged outcomes (continue-as-new state): REFUSED, the blocked bucket stays blocked', async () => {
  // Prepare: a bucket its owner blocked. The forger starts a remediation of it whose input carries, as if from an
  // earlier run, a REMEDIATED outcome with a forged prior state (no block): the run completes at once, its result
  // listing that outcome. Nothing the worker did recorded it.
  const bucket = newName('rb-carried');
  await createBucket(stack.raw.s3, bucket);
  await stack.raw.s3.send(
    new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: ALL_ON }),
  );
  const finding = s3Finding(bucket, { eventId: `carried-${bucket}` });
  const workflowId = remediationWorkflowId(finding.resource);
  const at = new Date().toISOString();
  const forgedOutcome: Outcome = {
    finding,
    playbook: S3_PLAYBOOK,
    status: 'REMEDIATED',
    reason: 'forged',
    prior: { publicAccessBlock: null },
    changes: [
      {
        step: 'put-public-access-block',
        changed: true,
        detail: 'forged',
        prior: { publicAccessBlock: null },
        at,
      },
    ],
    compensations: [],
    verification: {
      passed: true,
      detail: 'forged',
      observed: {},
      at,
      stateAfter: { publicAccessBlock: ALL_ON },
    },
    startedAt: at,
    finishedAt: at,
  };

  // Act
  const { forgedRun, rolledBack, exemptions } = await withWorker({}, async (taskQueue) => {
    const handle = await stack.env.client.workflow.start(REMEDIATION_WORKFLOW_TYPE, {
      workflowId,
      taskQueue,
      args: [
        {
          resource: finding.resource,
          carried: { intake: EMPTY_INTAKE, outcomes: [forgedOutcome], cooldownEndsAt: at, continuedAsNew: 1 },
        },
      ],
    });
    const run = await resultOf(handle);
    const { runId } = await handle.describe();
    const rb = await rollbackDirectly(taskQueue, {
      target: { workflowId, runId },
      reason: 'open it',
      by: 'mallory@host',
      force: false,
      exemptForMs: 30 * 24 * 3600_000,
    });
    // The queue's control plane (if anything started it): no exemption of the bucket.
    const state = await stack.env.client.workflow
      .getHandle(controlWorkflowId(taskQueue))
      .query(controlStateQuery)
      .catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      });
    return { forgedRun: run, rolledBack: rb, exemptions: state?.exemptions ?? [] };
  });

  // Assess: the run was not a continue-as-new, so the outcomes its input carried were dropped (its result lists none);
  // no run of the worker remediated this bucket, so there is nothing to roll back (refused for that, before the
  // request's missing signature is even checked): no restore, no exemption (which would keep the remediator off the
  // opened bucket), the owner's block in place. One comparison, so that a failure shows every consequence at once.
  expect({
    outcomes: forgedRun.outcomes,
    status: rolledBack.status,
    reason: rolledBack.reason,
    restored: rolledBack.restored,
    exemptUntil: rolledBack.exemptUntil,
    exemptions,
    block: await blockOf(bucket),
  }).toEqual({
    outcomes: [],
    status: 'REFUSED',
    reason: expect.stringMatching(/ changed nothing to roll back \(no outcome yet\)$/),
    restored: [],
    exemptUntil: undefined,
    exemptions: [],
    block: ALL_ON,
  });
});

// --- Operator controls ---

/** The refusal's message of an update sent to the control workflow (fails if it was accepted). */
async function controlRefusal(sent: Promise<unknown>): Promise<string> {
  try {
    await sent;
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    return (err as WorkflowUpdateFailedError).cause?.message ?? '';
  }
  throw new Error('the control workflow accepted the update');
}

it('exemptions and pauses sent straight to the control workflow: unsigned ones REFUSED and paged; a containment is exempt only once two approvers signed; a signed request is good once', async () => {
  // Prepare: an instance key (a containment playbook's resource); nothing runs on it: the admission rule is pure.
  const resource = {
    account: FIXTURE_ACCOUNT,
    region: FIXTURE_REGION,
    resourceType: 'AWS::EC2::Instance',
    resourceId: `i-${randomUUID().replace(/-/g, '').slice(0, 17)}`,
  };
  const key = `${resource.account}/${resource.region}/${resource.resourceType}/${resource.resourceId}`;
  const until = new Date(Date.now() + 3600_000).toISOString();
  /** What a remediation of the instance would be told by the control plane in this state. */
  const admitted = (state: ControlState, playbook: string) =>
    admit(state, { workflowId: remediationWorkflowId(resource), resource, playbook }, new Date()).decision
      .decision;

  // Act
  const {
    controlId,
    refusals,
    afterRefusals,
    byAlice,
    afterAlice,
    replayed,
    replayedId,
    aliceAgain,
    afterAliceAgain,
    byBob,
    afterBob,
    extended,
    afterExtended,
  } = await withWorker({}, async (taskQueue) => {
    const id = controlWorkflowId(taskQueue);
    const send = <Ret, Args extends unknown[]>(update: UpdateDefinition<Ret, Args>, ...args: Args) =>
      stack.env.client.workflow.executeUpdateWithStart(update, {
        args,
        startWorkflowOperation: controlWorkflowStart(taskQueue),
      });
    const state = () => stack.env.client.workflow.getHandle(id).query(controlStateQuery);
    const exemption = (reason: string): ExemptRequest => ({
      resource: key,
      until,
      reason,
      by: 'someone@corp',
      requestId: randomUUID(),
    });
    const signed = async (who: typeof APPROVER, request: ExemptRequest): Promise<ExemptRequest> => ({
      ...request,
      signature: await signAs(who, exemptClaim(id, request)),
    });

    // (a) An exemption and (b) a pause of everything that only say who they are; (c) an exemption genuinely
    // signed by someone who is not an approver.
    const refused = [
      await controlRefusal(
        send(exemptUpdate, { resource: key, until, reason: 'keep it', by: 'mallory@host' }),
      ),
      await controlRefusal(send(pauseUpdate, { reason: 'maintenance', by: 'mallory@host' })),
      await controlRefusal(send(exemptUpdate, await signed(DEVELOPER, exemption('keep it')))),
    ];
    const unchanged = await state();
    // (d) alice, an approver, signs an exemption of the instance: recorded with one approver.
    const first = await signed(APPROVER, exemption('forensics in progress'));
    const recorded = await send(exemptUpdate, first);
    const one = await state();
    // (e) The same signed request again, word for word.
    const again = await controlRefusal(send(exemptUpdate, first));
    // (f) alice signs a new exemption of the same instance: still one person.
    const alone = await send(exemptUpdate, await signed(APPROVER, exemption('forensics, day two')));
    const stillOne = await state();
    // (g) bob, a second approver, signs an exemption of the same instance.
    const second = await send(exemptUpdate, await signed(BOB, exemption('confirmed with alice')));
    const afterSecond = await state();
    // (h) alice alone extends what two agreed on: it starts over with her alone.
    const later = new Date(Date.parse(until) + 3_600_000).toISOString();
    const extended = await send(
      exemptUpdate,
      await signed(APPROVER, { ...exemption('a while longer'), until: later }),
    );
    return {
      extended,
      afterExtended: await state(),
      controlId: id,
      refusals: refused,
      afterRefusals: unchanged,
      byAlice: recorded,
      afterAlice: one,
      replayed: again,
      replayedId: first.requestId,
      aliceAgain: alone,
      afterAliceAgain: stillOne,
      byBob: second,
      afterBob: afterSecond,
    };
  });

  // Assess: each forgery refused with its reason, the control state untouched by them.
  expect(refusals).toEqual([
    'refused: the decision is not signed, and the policy refuses unsigned decisions',
    'refused: the decision is not signed, and the policy refuses unsigned decisions',
    `refused: ${DEVELOPER.arn} is not an approver in the policy`,
  ]);
  expect(afterRefusals.exemptions).toEqual([]);
  expect(afterRefusals.pauses).toEqual([]);
  // One approver: recorded, and honoured by a configuration playbook, but not by a containment playbook.
  expect(byAlice).toMatchObject({ resource: key, until, by: APPROVER.arn, approvedBy: [APPROVER.arn] });
  expect(admitted(afterAlice, 'ec2-isolate-instance')).toBe('proceed');
  expect(admitted(afterAlice, 'ec2-enforce-imdsv2')).toBe('exempt');
  // A signed request is good once.
  expect(replayed).toBe(`refused: request ${replayedId} was already used: sign a new one`);
  // The same person twice is still one approver.
  expect(aliceAgain.approvedBy).toEqual([APPROVER.arn]);
  expect(admitted(afterAliceAgain, 'ec2-isolate-instance')).toBe('proceed');
  // A second, different approver: now the containment is exempt too.
  expect(byBob).toMatchObject({ resource: key, by: BOB.arn, approvedBy: [APPROVER.arn, BOB.arn] });
  expect(afterBob.exemptions).toHaveLength(1);
  expect(admitted(afterBob, 'ec2-isolate-instance')).toBe('exempt');
  expect(afterBob.pauses).toEqual([]);
  // What two people agreed on no one extends alone: alice's longer exemption stands for her alone.
  expect(extended.approvedBy).toEqual([APPROVER.arn]);
  expect(admitted(afterExtended, 'ec2-isolate-instance')).toBe('proceed');
  // Every refusal and every exemption paged on-call and was audited (the replay was refused before any check).
  const paged = (await pagesFor(controlId, 7)).filter((p) => p.record?.kind === 'security');
  expect(paged.map((p) => p.record?.status).sort()).toEqual([
    'EXEMPT',
    'EXEMPT',
    'EXEMPT',
    'EXEMPT',
    'REJECTED',
    'REJECTED',
    'REJECTED',
  ]);
  expect(paged.map((p) => p.record?.reason)).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^refused a exempt decision .*: the decision is not signed/),
      expect.stringMatching(/^refused a pause decision .*: the decision is not signed/),
      expect.stringMatching(/^refused a exempt decision .*: .* is not an approver/),
      `exempted ${key} until ${until} by ${APPROVER.arn}: forensics in progress`,
      `exempted ${key} until ${until} by ${BOB.arn}: confirmed with alice`,
    ]),
  );
  expect((await auditRecords(controlId)).filter((r) => r.kind === 'security')).toHaveLength(7);
});

// --- The queue ---

it('a queue message claiming another account (envelope 111111111111, finding 123456789012) through the real bridge: dead-lettered with its reason, nothing started, on-call alerted', async () => {
  // Prepare: a real public bucket; an event about it as if EventBridge of account 111111111111 had delivered it.
  const bucket = newName('forged-queue');
  await createBucket(stack.raw.s3, bucket);
  const event = fixtureEvent('config-s3-bucket-public-read-noncompliant.json', {
    resourceId: bucket,
    awsAccountId: FIXTURE_ACCOUNT,
  });
  await stack.raw.sqs.send(
    new SendMessageCommand({
      QueueUrl: stack.resources.ingestQueueUrl,
      MessageBody: JSON.stringify({ ...event, account: '111111111111' }),
    }),
  );
  const taskQueue = `forgery-${randomUUID()}`;
  const trust = testPolicy(fastSettings(), STRICT).trust;
  const alerter = new SecurityAlerter({
    sns: stack.raw.sns,
    topicArn: stack.resources.oncallTopicArn,
    logger: silentLogger,
  });
  const bridge = new SqsBridge({
    sqs: stack.raw.sqs,
    queueUrl: stack.resources.ingestQueueUrl,
    deadLetterQueueUrl: stack.resources.deadLetterQueueUrl,
    handleMessage: createMessageHandler({
      policy: DEFAULT_POLICY,
      dispatcher: new FindingDispatcher(stack.env.client, taskQueue, 'forgery'),
      trust,
      alert: (refusal) => alerter.refused(refusal),
    }),
    checkTemporal: () => checkReachable(stack.env.client, 1000),
    logger: silentLogger,
    waitTimeSeconds: 1,
    backoffInitialMs: 200,
    backoffMaxMs: 500,
  });

  // Act
  const stop = new AbortController();
  const run = bridge.run(stop.signal);
  const deadline = Date.now() + 15_000;
  while (bridge.stats.deadLettered < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  stop.abort();
  await run;
  await alerter.flush();

  // Assess: dead-lettered with the reason; no execution exists for the bucket; the alert is on the on-call topic.
  expect(bridge.stats).toMatchObject({ delivered: 0, deadLettered: 1 });
  const dead = await stack.raw.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: stack.resources.deadLetterQueueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      MessageAttributeNames: ['All'],
    }),
  );
  expect(dead.Messages?.map((m) => m.MessageAttributes?.ErrorReason?.StringValue)).toEqual([
    expect.stringMatching(
      new RegExp(
        `^aws\\.config finding in event .*: the envelope comes from account 111111111111, the finding is about account ${FIXTURE_ACCOUNT}`,
      ),
    ),
  ]);
  const workflowId = remediationWorkflowId(s3Finding(bucket).resource);
  await expect(stack.env.client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(
    WorkflowNotFoundError,
  );
  const alerts = await pages((p) => p.subject === SECURITY_ALERT_SUBJECT && p.body.includes(bucket), 1);
  expect(alerts).toHaveLength(1);
  expect(alerts[0]?.body).toContain('Envelope account: 111111111111');
  expect(alerts[0]?.body).toContain(`Finding account: ${FIXTURE_ACCOUNT}`);
  expect(await blockOf(bucket)).toBeNull();
});
