/**
 * The central stack's ingest path, hardened so that only the EventBridge rules can feed it and the system alarms can
 * page: the queue and dead-letter queue policies deny every principal but the rules and the ingest role (checked by
 * evaluating the synthesized statements for requests of each kind), every rule target has the dead-letter queue as its
 * DLQ and the DLQ admits those deliveries, and CloudWatch may publish the system alarms to the KMS-encrypted on-call
 * topic (topic policy and key policy, scoped to this account and these alarms).
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CentralStack } from '../../infra/lib/central-stack';
import type { CentralStackProps } from '../../infra/lib/central-stack';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { evaluate, resolve, standInArn } from '../helpers/policy-evaluation';
import type { PolicyDecision, PolicyRequest } from '../helpers/policy-evaluation';

const ACCOUNT = '123456789012';

function synth(props: Partial<CentralStackProps> = {}): Template {
  const app = new App();
  const stack = new CentralStack(app, 'Central', {
    policy: DEFAULT_POLICY,
    managedAlarmNames: ['ec2-recovery-alarm', 'high-cpu-alarm'],
    env: { account: ACCOUNT, region: 'ap-northeast-1' },
    ...props,
  });
  return Template.fromStack(stack);
}

const template = synth();

type Statement = Record<string, unknown>;

/** The logical id of the one resource of `type` whose id starts with `prefix`. */
function logicalId(t: Template, type: string, prefix: string): string {
  const ids = Object.keys(t.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

function queuePolicy(t: Template, queuePrefix: string): Statement[] {
  const queue = logicalId(t, 'AWS::SQS::Queue', queuePrefix);
  const policies = Object.values(
    t.findResources('AWS::SQS::QueuePolicy', { Properties: { Queues: [{ Ref: queue }] } }),
  );
  expect(policies).toHaveLength(1);
  return (policies[0] as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties
    .PolicyDocument.Statement;
}

const ruleIds = Object.keys(template.findResources('AWS::Events::Rule'));
const ingestRole = standInArn(logicalId(template, 'AWS::IAM::Role', 'IngestRole'));
const admin = `arn:aws:iam::${ACCOUNT}:role/Admin`;

/** Requests of each kind that matter here, over TLS (the enforceSSL deny is another statement's business). */
const fromRule = (action: string, ruleId: string): PolicyRequest => ({
  action,
  principal: { service: 'events.amazonaws.com' },
  context: { 'aws:SourceArn': standInArn(ruleId), 'aws:SecureTransport': 'true' },
});
const asRole = (action: string, arn: string): PolicyRequest => ({
  action,
  principal: { arn },
  // An IAM principal's request carries no aws:SourceArn.
  context: { 'aws:PrincipalArn': arn, 'aws:SecureTransport': 'true' },
});

function decide(statements: Statement[], request: PolicyRequest): PolicyDecision {
  return evaluate(statements, request);
}

describe('the ingest queue', () => {
  const statements = queuePolicy(template, 'IngestQueue');

  it('takes messages from the four rules only: everyone else is denied SendMessage, whatever IAM grants them', () => {
    expect(ruleIds).toHaveLength(4);
    for (const rule of ruleIds) expect(decide(statements, fromRule('sqs:SendMessage', rule))).toBe('allow');
    expect(decide(statements, asRole('sqs:SendMessage', admin))).toBe('explicit-deny');
    expect(decide(statements, asRole('sqs:SendMessage', ingestRole))).toBe('explicit-deny');
    // Another rule, or another service acting for something else, is no exception.
    expect(decide(statements, fromRule('sqs:SendMessage', 'SomeOtherRule'))).toBe('explicit-deny');
    expect(
      decide(statements, {
        action: 'sqs:SendMessage',
        principal: { service: 'sns.amazonaws.com' },
        context: {
          'aws:SourceArn': `arn:aws:sns:ap-northeast-1:${ACCOUNT}:any`,
          'aws:SecureTransport': 'true',
        },
      }),
    ).toBe('explicit-deny');
  });

  it('is read only by the ingest role: receive, delete and change visibility are denied to everyone else', () => {
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']) {
      expect(decide(statements, asRole(action, ingestRole))).toBe('no-decision');
      expect(decide(statements, asRole(action, admin))).toBe('explicit-deny');
    }
  });

  it('denies only message actions: administration stays possible', () => {
    for (const action of [
      'sqs:GetQueueAttributes',
      'sqs:SetQueueAttributes',
      'sqs:PurgeQueue',
      'sqs:DeleteQueue',
      'sqs:ListQueueTags',
    ]) {
      expect(decide(statements, asRole(action, admin))).toBe('no-decision');
    }
  });

  it('keeps the rules’ allows and the TLS-only deny', () => {
    expect(statements.filter((s) => s.Effect === 'Allow')).toHaveLength(4);
    expect(decide(statements, { ...asRole('sqs:GetQueueAttributes', admin), context: {} })).toBe(
      'no-decision',
    );
    expect(
      decide(statements, {
        ...asRole('sqs:GetQueueAttributes', admin),
        context: { 'aws:SecureTransport': 'false' },
      }),
    ).toBe('explicit-deny');
  });
});

describe('the dead-letter queue', () => {
  const statements = queuePolicy(template, 'IngestDeadLetterQueue');

  it('takes the rules’ failed deliveries and the bridge’s dead letters, and nobody else’s', () => {
    for (const rule of ruleIds) expect(decide(statements, fromRule('sqs:SendMessage', rule))).toBe('allow');
    // The ingest role's identity policy grants the send; the resource policy must not deny it.
    expect(decide(statements, asRole('sqs:SendMessage', ingestRole))).toBe('no-decision');
    expect(decide(statements, asRole('sqs:SendMessage', admin))).toBe('explicit-deny');
    expect(decide(statements, fromRule('sqs:SendMessage', 'SomeOtherRule'))).toBe('explicit-deny');
  });

  it('stays readable by operators (they inspect ErrorReason), over TLS only', () => {
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']) {
      expect(decide(statements, asRole(action, admin))).toBe('no-decision');
    }
    expect(
      decide(statements, {
        ...asRole('sqs:ReceiveMessage', admin),
        context: { 'aws:SecureTransport': 'false' },
      }),
    ).toBe('explicit-deny');
  });
});

it('gives every rule target the dead-letter queue as its DLQ', () => {
  const dlq = logicalId(template, 'AWS::SQS::Queue', 'IngestDeadLetterQueue');
  const rules = Object.values(template.findResources('AWS::Events::Rule')) as {
    Properties: { Targets: { Arn: unknown; DeadLetterConfig?: { Arn: unknown } }[] };
  }[];
  const targets = rules.flatMap((r) => r.Properties.Targets);
  expect(targets).toHaveLength(4);
  for (const target of targets) {
    expect(target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } });
  }
});

it('lets CloudWatch publish exactly the four system alarms to the encrypted on-call topic, and use its key', () => {
  const topic = logicalId(template, 'AWS::SNS::Topic', 'OncallTopic');
  const key = logicalId(template, 'AWS::KMS::Key', 'RemediatorKey');
  template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as {
    Properties: { AlarmName: string; AlarmActions: unknown[] };
  }[];
  // The ingest path's two, and the dashboard's two on outcomes (remediation-dashboard.ts).
  expect(alarms.map((a) => a.Properties.AlarmName).sort()).toEqual([
    'Central-DeadLetterQueueNotEmpty',
    'Central-EscalationsHigh',
    'Central-OldestEventTooOld',
    'Central-TimeToFixP90High',
  ]);
  for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
  const alarmArns = alarms.map(
    (a) => `arn:aws:cloudwatch:ap-northeast-1:${ACCOUNT}:alarm:${a.Properties.AlarmName}`,
  );
  const conditions = {
    StringEquals: { 'aws:SourceAccount': ACCOUNT },
    ArnLike: { 'aws:SourceArn': Match.anyValue() },
  };

  // The key: Decrypt and GenerateDataKey* for cloudwatch.amazonaws.com, on behalf of these alarms only.
  template.hasResourceProperties('AWS::KMS::Key', {
    KeyPolicy: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Sid: 'AllowCloudWatchAlarmsToUseTheKey',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Condition: conditions,
        }),
      ]),
    },
  });
  const keyPolicy = (
    Object.values(template.findResources('AWS::KMS::Key'))[0] as {
      Properties: { KeyPolicy: { Statement: Statement[] } };
    }
  ).Properties.KeyPolicy.Statement;
  const cloudWatchOnKey = keyPolicy.find((s) => s.Sid === 'AllowCloudWatchAlarmsToUseTheKey')!;
  const scoped = (cloudWatchOnKey.Condition as { ArnLike: { 'aws:SourceArn': unknown[] } }).ArnLike[
    'aws:SourceArn'
  ];
  expect(scoped.map(resolve).sort()).toEqual(alarmArns.sort());

  // The topic: sns:Publish for cloudwatch.amazonaws.com, same scope (the stack's topic policy replaced SNS's default).
  const topicPolicy = (
    Object.values(
      template.findResources('AWS::SNS::TopicPolicy', { Properties: { Topics: [{ Ref: topic }] } }),
    )[0] as { Properties: { PolicyDocument: { Statement: Statement[] } } }
  ).Properties.PolicyDocument.Statement;
  for (const alarmArn of alarmArns) {
    expect(
      evaluate(topicPolicy, {
        action: 'sns:Publish',
        principal: { service: 'cloudwatch.amazonaws.com' },
        context: { 'aws:SourceArn': alarmArn, 'aws:SourceAccount': ACCOUNT, 'aws:SecureTransport': 'true' },
      }),
    ).toBe('allow');
  }
  expect(
    evaluate(topicPolicy, {
      action: 'sns:Publish',
      principal: { service: 'cloudwatch.amazonaws.com' },
      context: {
        'aws:SourceArn': `arn:aws:cloudwatch:ap-northeast-1:${ACCOUNT}:alarm:someone-elses`,
        'aws:SourceAccount': ACCOUNT,
        'aws:SecureTransport': 'true',
      },
    }),
  ).toBe('no-decision');
});

it('keeps the same denies with SSE-SQS queues', () => {
  const sse = synth({ queueEncryption: 'sqs' });
  const queue = queuePolicy(sse, 'IngestQueue');
  expect(decide(queue, asRole('sqs:SendMessage', admin))).toBe('explicit-deny');
  const dlq = queuePolicy(sse, 'IngestDeadLetterQueue');
  expect(decide(dlq, asRole('sqs:SendMessage', admin))).toBe('explicit-deny');
});

it('lets the ingest role change its messages’ visibility: the bridge holds what Temporal throttles with it', () => {
  const role = logicalId(template, 'AWS::IAM::Role', 'IngestRole');
  const queue = logicalId(template, 'AWS::SQS::Queue', 'IngestQueue');
  const statements = Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }),
  ).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement,
  );
  const holding = statements.filter(
    (s) =>
      s.Effect === 'Allow' &&
      [s.Action].flat().includes('sqs:ChangeMessageVisibility') &&
      JSON.stringify(s.Resource) === JSON.stringify({ 'Fn::GetAtt': [queue, 'Arn'] }),
  );
  expect(holding).toHaveLength(1);
});
