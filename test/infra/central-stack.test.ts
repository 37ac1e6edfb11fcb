/**
 * The central stack, synthesized and checked with `aws-cdk-lib/assertions`: the rules let through exactly the findings
 * with playbooks (GuardDuty by numeric severity), the queue has its DLQ and a policy admitting only those rules, the
 * key lets EventBridge encrypt, topics and bucket are encrypted, and the worker role grants no `*` action.
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CentralStack } from '../../infra/lib/central-stack';
import {
  allActions,
  INGEST_PERMISSIONS,
  REMEDIATION_PERMISSIONS,
  WORKER_SELF_PERMISSIONS,
} from '../../infra/lib/worker-permissions';
import type { PermissionGroup } from '../../infra/lib/worker-permissions';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';

function synth(props: Partial<ConstructorParameters<typeof CentralStack>[2]> = {}): Template {
  const app = new App();
  const stack = new CentralStack(app, 'Central', {
    policy: DEFAULT_POLICY,
    managedAlarmNames: ['ec2-recovery-alarm', 'high-cpu-alarm'],
    env: { account: '123456789012', region: 'ap-northeast-1' },
    ...props,
  });
  return Template.fromStack(stack);
}

const template = synth();

it('has four rules, each targeting the one queue, GuardDuty filtered by numeric severity from a parameter', () => {
  template.resourceCountIs('AWS::Events::Rule', 4);
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: {
      source: ['aws.guardduty'],
      'detail-type': ['GuardDuty Finding'],
      // Public buckets at any severity; everything else (the triage catch-all: any type) from the parameter on.
      detail: {
        $or: [
          { severity: [{ numeric: ['>=', { Ref: 'GuardDutyMinSeverity' }] }] },
          {
            severity: [{ numeric: ['>=', 0] }],
            type: [
              'Policy:S3/BucketBlockPublicAccessDisabled',
              'Policy:S3/BucketAnonymousAccessGranted',
              'Policy:S3/BucketPublicAccessGranted',
            ],
          },
        ],
      },
    },
    Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestQueue'), 'Arn'] } })],
  });
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: {
      source: ['aws.config'],
      detail: Match.objectLike({
        messageType: ['ComplianceChangeNotification'],
        configRuleName: Match.arrayWith(['restricted-ssh', { wildcard: '*-restricted-ssh-*' }]),
        newEvaluationResult: { complianceType: ['NON_COMPLIANT', 'COMPLIANT'] },
      }),
    },
  });
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: {
      source: ['aws.securityhub'],
      detail: {
        findings: Match.objectLike({
          Compliance: { Status: ['FAILED'], SecurityControlId: Match.arrayWith(['S3.2', 'EC2.8']) },
        }),
      },
    },
  });
  template.hasParameter('GuardDutyMinSeverity', { Default: 7 });
});

it('sends what cannot be taken to a dead-letter queue after MaxReceiveCount receives', () => {
  template.hasResourceProperties('AWS::SQS::Queue', {
    RedrivePolicy: {
      deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestDeadLetterQueue'), 'Arn'] },
      maxReceiveCount: { Ref: 'MaxReceiveCount' },
    },
    KmsMasterKeyId: Match.anyValue(),
  });
});

it('admits to the queue only the four rules, by aws:SourceArn', () => {
  // The ingest queue's policy (the dead-letter queue's admits the rules' failed deliveries: ingest-hardening.test.ts).
  const policies = template.findResources('AWS::SQS::QueuePolicy', {
    Properties: { Queues: [{ Ref: Match.stringLikeRegexp('^IngestQueue') }] },
  });
  const statements = Object.values(policies).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Array<Record<string, unknown>> } } }).Properties
        .PolicyDocument.Statement,
  );
  const fromEvents = statements.filter((s) => JSON.stringify(s.Principal).includes('events.amazonaws.com'));
  expect(fromEvents).toHaveLength(4);
  for (const s of fromEvents) {
    expect([s.Action].flat()).toEqual(expect.arrayContaining(['sqs:SendMessage']));
    expect(JSON.stringify(s.Action)).not.toContain('*');
    expect(JSON.stringify(s.Condition)).toContain('aws:SourceArn');
  }
});

it('lets EventBridge use the customer-managed key (it cannot use aws/sqs); SSE-SQS is the alternative', () => {
  template.hasResourceProperties('AWS::KMS::Key', {
    EnableKeyRotation: true,
    KeyPolicy: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Sid: 'AllowEventBridgeToUseTheKey',
          Principal: { Service: 'events.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        }),
      ]),
    },
  });
  synth({ queueEncryption: 'sqs' }).hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
});

it('encrypts the topics and the audit bucket, versions it, blocks public access, and can lock objects', () => {
  template.resourceCountIs('AWS::SNS::Topic', 2);
  template.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  template.hasResourceProperties('AWS::S3::Bucket', {
    VersioningConfiguration: { Status: 'Enabled' },
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    },
    BucketEncryption: {
      ServerSideEncryptionConfiguration: [
        Match.objectLike({
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
        }),
      ],
    },
  });
  synth({ auditObjectLockDays: 365 }).hasResourceProperties('AWS::S3::Bucket', {
    ObjectLockEnabled: true,
    ObjectLockConfiguration: {
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 365 } },
    },
  });
});

it('alarms on the system itself: anything dead-lettered, events waiting too long', () => {
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    MetricName: 'ApproximateNumberOfMessagesVisible',
    Threshold: 1,
  });
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    MetricName: 'ApproximateAgeOfOldestMessage',
    Threshold: 300,
  });
});

it('grants the worker exactly the playbook actions, no `*` action in an Allow, and scopes its own resources', () => {
  const statements = statementsOf(template, 'WorkerRole');
  const allowed = statements.filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action].flat());
  expect(allowed.filter((a) => a.includes('*'))).toEqual([]);
  expect(allowed).toEqual(expect.arrayContaining(allActions(REMEDIATION_PERMISSIONS)));
  const byId = Object.fromEntries(statements.map((s) => [s.Sid, s]));
  expect(JSON.stringify(byId.Notifications?.Resource)).toContain('OutcomesTopic');
  expect(JSON.stringify(byId.Audit?.Resource)).toContain('/audit/*');
  // Each family role by name, in any member account; nothing else.
  expect(byId.MemberAccounts).toMatchObject({
    Action: 'sts:AssumeRole',
    Resource: ['', '-Config', '-Network', '-Iam', '-Availability'].map((suffix) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::*:role/RemediatorMemberRole${suffix}`]],
    })),
  });
});

it('bounds the worker like the member roles: protected principals and instance attributes are denied', () => {
  const byId = Object.fromEntries(statementsOf(template, 'WorkerRole').map((s) => [s.Sid, s]));
  const byName = JSON.stringify(byId.ProtectedPrincipalsByName?.Resource);
  for (const name of [
    'RemediatorWorker',
    'RemediatorMemberRole-Iam',
    'OrganizationAccountAccessRole',
    'AWSReservedSSO_*',
  ]) {
    expect(byName).toContain(`:iam::*:*/${name}"`);
  }
  // The bridge's role, whose name CloudFormation picks, by its ARN.
  expect(byName).toContain('IngestRole');
  expect(byId.ProtectedPrincipalsByTag).toMatchObject({
    Effect: 'Deny',
    Condition: { Null: { 'aws:ResourceTag/remediator:protected': 'false' } },
  });
  expect(byId.DenyUserDataChange).toMatchObject({
    Effect: 'Deny',
    Action: 'ec2:ModifyInstanceAttribute',
    Condition: { Null: { 'ec2:Attribute/UserData': 'false' } },
  });
  expect(byId.TerminationProtection).toMatchObject({
    Effect: 'Allow',
    Condition: { Null: { 'ec2:Attribute/DisableApiTermination': 'false' } },
  });
});

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown };

/** The statements of the inline and managed policies attached to the role whose logical id starts with `rolePrefix`. */
function statementsOf(t: Template, rolePrefix: string): Statement[] {
  return [
    ...Object.values(t.findResources('AWS::IAM::Policy')),
    ...Object.values(t.findResources('AWS::IAM::ManagedPolicy')),
  ]
    .map(
      (p) =>
        p as { Properties: { Roles: Array<{ Ref: string }>; PolicyDocument: { Statement: Statement[] } } },
    )
    .filter((p) => (p.Properties.Roles ?? []).some((r) => r.Ref.startsWith(rolePrefix)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const actionsBySid = (statements: Statement[]) =>
  Object.fromEntries(statements.map((s) => [s.Sid, [s.Action].flat().sort()]));
const tableBySid = (groups: readonly PermissionGroup[]) =>
  Object.fromEntries(groups.map((g) => [g.sid, [...g.actions].sort()]));

it('gives the worker role exactly the tables the note lists (every family + its own resources), statement by statement', () => {
  const worker = statementsOf(template, 'WorkerRole');
  expect(actionsBySid(worker.filter((s) => s.Effect === 'Allow'))).toEqual(
    tableBySid([...REMEDIATION_PERMISSIONS, ...WORKER_SELF_PERMISSIONS]),
  );
  expect(
    worker
      .filter((s) => s.Effect === 'Deny')
      .map((s) => s.Sid)
      .sort(),
  ).toEqual(
    [
      'ProtectedPrincipalsByName',
      'ProtectedPrincipalsByTag',
      'DenyUserDataChange',
      'DenyInstanceTypeChange',
      'DenyKernelChange',
      'DenyRamdiskChange',
      'DenyCodeAttributeChange',
    ].sort(),
  );
  template.hasResourceProperties('AWS::IAM::Role', {
    AssumeRolePolicyDocument: {
      Statement: [Match.objectLike({ Principal: { Service: 'ecs-tasks.amazonaws.com' } })],
    },
  });
});

it('gives the ingest bridge its own role: the queue, the DLQ, Config rule lookups, and nothing that remediates', () => {
  const ingest = statementsOf(template, 'IngestRole');
  expect(actionsBySid(ingest)).toEqual(tableBySid(INGEST_PERMISSIONS));
  const granted = ingest.flatMap((s) => [s.Action].flat());
  expect(
    // Reads the bridge needs of its own queue (GetQueueUrl, GetQueueAttributes) are reads the SQS playbook makes
    // too; nothing else of the remediation tables, and nothing that changes anything.
    granted.filter(
      (a) =>
        allActions(REMEDIATION_PERMISSIONS).includes(a) &&
        !['config:DescribeConfigRules', 'sqs:GetQueueUrl', 'sqs:GetQueueAttributes'].includes(a),
    ),
  ).toEqual([]);
  const byId = Object.fromEntries(ingest.map((s) => [s.Sid, s]));
  expect(JSON.stringify(byId.IngestQueue?.Resource)).toMatch(/IngestQueue/);
  expect(JSON.stringify(byId.DeadLetter?.Resource)).toMatch(/IngestDeadLetterQueue/);
  // With SSE-SQS the bridge needs no key.
  expect(
    actionsBySid(statementsOf(synth({ queueEncryption: 'sqs' }), 'IngestRole')).QueueKey,
  ).toBeUndefined();
});

it('outputs what `remediator worker` and `remediator ingest` need', () => {
  for (const name of [
    'IngestQueueUrl',
    'DeadLetterQueueUrl',
    'NotifyTopicArn',
    'OncallTopicArn',
    'AuditBucketName',
    'WorkerRoleArn',
  ]) {
    template.hasOutput(name, Match.anyValue());
  }
});
