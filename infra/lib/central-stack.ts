/**
 * The central account's side: EventBridge rules for exactly the findings that have playbooks, one encrypted SQS queue
 * with a dead-letter queue whose policies admit only those rules and the ingest role, encrypted SNS topics for outcomes
 * and on-call, an audit bucket, alarms on the system itself that can page on-call, the CloudWatch dashboard with its
 * alarms on outcomes (remediation-dashboard.ts), and the worker's least-privilege role.
 */
import { CfnOutput, CfnParameter, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { RemediationPolicy } from '../../src/domain/policy';
import { cloudWatchPattern, configPattern, guardDutyPattern, securityHubPattern } from './event-patterns';
import type { EventPattern } from './event-patterns';
import { letAlarmsPage } from './alarm-paging';
import { dashboardAlarmNames, RemediationDashboard } from './remediation-dashboard';
import { restrictIngestQueues } from './ingest-queue-policies';
import { familyRoleName, ROLE_FAMILIES } from '../../src/domain/role-families';
import { trustSettings } from '../../src/policy/worker-policy';
import { addInstanceAttributeDenies } from './instance-attribute-bounds';
import { acknowledgeWildcardResources, addGroupNamed, statementOf } from './policy-statements';
import { addProtectedPrincipalDenies, protectedPrincipals } from './protected-principals';
import { FAMILY_PERMISSIONS, INGEST_PERMISSIONS, WORKER_SELF_PERMISSIONS } from './worker-permissions';
import { WorkerService } from './worker-service';
import type { TemporalAuth } from './worker-service';

/** What the central stack is built from. */
export interface CentralStackProps extends StackProps {
  /** The remediation policy: its routes decide which findings the rules let through. */
  readonly policy: RemediationPolicy;
  /** Names of the CloudWatch alarms whose state changes are remediated (e.g. the seed's two). */
  readonly managedAlarmNames: readonly string[];
  /** `kms`: a customer-managed key (EventBridge may use it); `sqs`: SSE-SQS. EventBridge cannot use `aws/sqs`. */
  readonly queueEncryption?: 'kms' | 'sqs';
  /** Object lock on the audit bucket (governance mode, this many days). */
  readonly auditObjectLockDays?: number;
  /** The worker role's name: member roles trust it by ARN, so it is fixed (default `RemediatorWorker`). */
  readonly workerRoleName?: string;
  /** Name of the role the worker assumes in member accounts. */
  readonly memberRoleName?: string;
  /** Lets member accounts of this organisation put events on the central default bus. */
  readonly organizationId?: string;
  /** Run the worker and the bridge on ECS Fargate (the Temporal connection becomes stack parameters). */
  readonly service?: {
    readonly temporalAuth: TemporalAuth;
    readonly vpc?: ec2.IVpc;
    readonly policyPathInImage?: string;
  };
}

/** The central stack. */
export class CentralStack extends Stack {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly workerRole: iam.Role;
  readonly ingestRole: iam.Role;
  readonly workerService?: ecs.FargateService;
  readonly ingestService?: ecs.FargateService;
  readonly rules: readonly events.Rule[];

  constructor(scope: Construct, id: string, props: CentralStackProps) {
    super(scope, id, props);
    // Access logs by bucket policy (to the logging service principal) instead of the legacy LogDeliveryWrite ACL.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const minSeverity = new CfnParameter(this, 'GuardDutyMinSeverity', {
      type: 'Number',
      default: 7,
      minValue: 0,
      maxValue: 10,
      description:
        'GuardDuty findings at or above this severity reach the remediator (the seed: 7); a route that asks for lower, such as public buckets, keeps its own.',
    });
    const maxReceiveCount = new CfnParameter(this, 'MaxReceiveCount', {
      type: 'Number',
      default: 5,
      minValue: 1,
      maxValue: 1000,
      description: 'Receives before a message moves to the dead-letter queue.',
    });

    const key = new kms.Key(this, 'RemediatorKey', {
      enableKeyRotation: true,
      description: 'Encrypts the remediator queue, topics and audit bucket',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // EventBridge encrypts what it sends to the queue with the queue's key: it must be allowed to use it.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeToUseTheKey',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    const useKms = (props.queueEncryption ?? 'kms') === 'kms';
    const queueEncryption = useKms
      ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key }
      : { encryption: sqs.QueueEncryption.SQS_MANAGED };

    this.deadLetterQueue = new sqs.Queue(this, 'IngestDeadLetterQueue', {
      ...queueEncryption,
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
    });
    this.queue = new sqs.Queue(this, 'IngestQueue', {
      ...queueEncryption,
      visibilityTimeout: Duration.minutes(2),
      retentionPeriod: Duration.days(4),
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: maxReceiveCount.valueAsNumber },
    });

    const patterns: Array<[string, string, EventPattern]> = [
      [
        'ConfigCompliance',
        'Config rule compliance changes of rules with playbooks',
        configPattern(props.policy),
      ],
      [
        'GuardDutyFindings',
        'GuardDuty findings with playbooks at or above the severity threshold',
        guardDutyPattern(props.policy, minSeverity.valueAsNumber),
      ],
      // No managed alarms, no alarm rule (an empty list would match nothing and fails validation).
      ...(props.managedAlarmNames.length > 0
        ? [
            [
              'AlarmStateChanges',
              'State changes of the alarms the remediator manages',
              cloudWatchPattern(props.managedAlarmNames),
            ] as [string, string, EventPattern],
          ]
        : []),
      [
        'SecurityHubFindings',
        'Failed Security Hub controls with playbooks',
        securityHubPattern(props.policy),
      ],
    ];
    this.rules = patterns.map(([id, description, pattern]) => {
      const rule = new events.Rule(this, id, {
        description,
        eventPattern: {
          source: pattern.source as string[],
          detailType: pattern['detail-type'] as string[],
          detail: pattern.detail as Record<string, unknown>,
        },
      });
      // The queue admits each rule by its ARN. (CDK's SqsQueue target drops that condition for KMS-encrypted
      // queues, so the target and the grant are written here.) EventBridge retries delivery for 24 h, then puts the
      // event on the dead-letter queue (admitted by ingest-queue-policies.ts) rather than dropping it; the DLQ also
      // takes what the bridge cannot.
      const queue = this.queue;
      const deadLetterArn = this.deadLetterQueue.queueArn;
      rule.addTarget({ bind: () => ({ arn: queue.queueArn, deadLetterConfig: { arn: deadLetterArn } }) });
      queue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `Allow${id}`,
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [queue.queueArn],
          conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
        }),
      );
      return rule;
    });

    if (props.organizationId) {
      // Member accounts forward their findings here (MemberForwardingStack); only accounts of the organisation may.
      new events.CfnEventBusPolicy(this, 'OrganizationMayForward', {
        statementId: 'RemediatorOrganizationForwarding',
        statement: {
          Effect: 'Allow',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: `arn:${this.partition}:events:${this.region}:${this.account}:event-bus/default`,
          Condition: { StringEquals: { 'aws:PrincipalOrgID': props.organizationId } },
        },
      });
    }

    const outcomes = new sns.Topic(this, 'OutcomesTopic', { masterKey: key, enforceSSL: true });
    const oncall = new sns.Topic(this, 'OncallTopic', { masterKey: key, enforceSSL: true });

    const accessLogs = new s3.Bucket(this, 'AuditAccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const audit = new s3.Bucket(this, 'AuditBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      removalPolicy: RemovalPolicy.RETAIN,
      ...(props.auditObjectLockDays
        ? {
            objectLockEnabled: true,
            objectLockDefaultRetention: s3.ObjectLockRetention.governance(
              Duration.days(props.auditObjectLockDays),
            ),
          }
        : {}),
    });

    // Alarms on the system itself: anything dead-lettered, or events waiting too long; and, with the dashboard, too
    // many escalations or a slow time to fix (remediation-dashboard.ts). Named, so that the key and the on-call topic
    // can admit exactly these to page (alarm-paging.ts) without a dependency cycle through the key.
    const alarmNames = {
      deadLetters: `${this.stackName}-DeadLetterQueueNotEmpty`,
      oldest: `${this.stackName}-OldestEventTooOld`,
    };
    letAlarmsPage(this, key, oncall, [
      ...Object.values(alarmNames),
      ...Object.values(dashboardAlarmNames(this)),
    ]);
    const deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetterQueueNotEmpty', {
      alarmName: alarmNames.deadLetters,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      alarmDescription:
        'Events the remediator could not take are in the dead-letter queue (see ErrorReason).',
    });
    const oldestAlarm = new cloudwatch.Alarm(this, 'OldestEventTooOld', {
      alarmName: alarmNames.oldest,
      metric: this.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1) }),
      threshold: 300,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      alarmDescription: 'Events wait more than 5 minutes: is the ingest bridge running?',
    });
    for (const alarm of [deadLetterAlarm, oldestAlarm]) alarm.addAlarmAction(new cwActions.SnsAction(oncall));

    this.workerRole = new iam.Role(this, 'WorkerRole', {
      roleName: props.workerRoleName ?? 'RemediatorWorker',
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'remediator worker: exactly the calls the playbooks make, notifications and audit records',
    });
    // In its own account the worker uses its own credentials, so it holds every family's statements, bounded by
    // the same denies as the member roles (assuming the family roles at home too is future work). Each family in a
    // managed policy of its own: the catalogue outgrew what one role's inline policies may hold (10,240 characters
    // in all; a managed policy holds 6,144).
    for (const family of ROLE_FAMILIES) {
      const groups = FAMILY_PERMISSIONS[family];
      const policy = new iam.ManagedPolicy(this, `WorkerPermissions-${family}`, {
        description: `remediator worker: the ${family} playbooks' calls in its own account`,
        statements: groups.map((group) => statementOf(this, group)),
        roles: [this.workerRole],
      });
      acknowledgeWildcardResources(policy, groups);
    }
    addInstanceAttributeDenies(this.workerRole);
    addGroupNamed(this.workerRole, WORKER_SELF_PERMISSIONS, 'Notifications', {
      resources: [outcomes.topicArn, oncall.topicArn],
    });
    addGroupNamed(this.workerRole, WORKER_SELF_PERMISSIONS, 'Audit', {
      resources: [audit.arnForObjects('audit/*')],
    });
    // The topics and the audit bucket are encrypted with the stack's key.
    addGroupNamed(this.workerRole, WORKER_SELF_PERMISSIONS, 'CentralKey', { resources: [key.keyArn] });
    // One role per playbook family in each member account (src/domain/role-families.ts), by name only.
    const memberRoleNames = ROLE_FAMILIES.map((family) =>
      familyRoleName(props.memberRoleName ?? 'RemediatorMemberRole', family),
    );
    addGroupNamed(this.workerRole, WORKER_SELF_PERMISSIONS, 'MemberAccounts', {
      resources: memberRoleNames.map((name) => `arn:${this.partition}:iam::*:role/${name}`),
    });
    Validations.of(this.workerRole).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::<AuditBucketB01E0AE8.Arn>/audit/*]',
        reason: 'One object per audit record under audit/: the key is not known in advance.',
      },
      ...memberRoleNames.map((name) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${name}]`,
        reason:
          'This family role in every account of the organisation; it trusts this role only, with the external id.',
      })),
    );

    // The bridge reads untrusted input: it gets the queue and nothing that changes a resource.
    this.ingestRole = new iam.Role(this, 'IngestRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description:
        'remediator ingest bridge: read the queue, dead-letter what it cannot take, look up Config rules',
    });
    addGroupNamed(this.ingestRole, INGEST_PERMISSIONS, 'IngestQueue', { resources: [this.queue.queueArn] });
    addGroupNamed(this.ingestRole, INGEST_PERMISSIONS, 'DeadLetter', {
      resources: [this.deadLetterQueue.queueArn],
    });
    addGroupNamed(this.ingestRole, INGEST_PERMISSIONS, 'ConfigRuleScope');
    if (useKms) addGroupNamed(this.ingestRole, INGEST_PERMISSIONS, 'QueueKey', { resources: [key.keyArn] });
    // A message that claims an account or region the policy does not serve is itself an incident: on-call hears of it.
    addGroupNamed(this.ingestRole, INGEST_PERMISSIONS, 'SecurityAlerts', { resources: [oncall.topicArn] });
    // With SSE-SQS the key serves only the on-call topic: the same grant, named for what it is then.
    if (!useKms)
      addGroupNamed(this.ingestRole, INGEST_PERMISSIONS, 'QueueKey', {
        resources: [key.keyArn],
        as: 'AlertTopicKey',
      });
    Validations.of(this.ingestRole).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'config:DescribeConfigRules has no resource-level permission (it names the rule whose scope routes a finding).',
    });

    // The worker's IAM writes never reach a protected principal: its own roles, the bridge's, the policy's names
    // and tag (the member -Iam role carries the same denies).
    const trust = trustSettings(props.policy);
    addProtectedPrincipalDenies(
      this.workerRole,
      protectedPrincipals({
        workerRoleName: props.workerRoleName ?? 'RemediatorWorker',
        memberRoleName: props.memberRoleName ?? 'RemediatorMemberRole',
        policyNames: trust.protectedPrincipals,
        tagKey: trust.protectedTagKey,
        roleArns: [this.ingestRole.roleArn],
      }),
    );

    // Only the rules feed the queue and only the ingest role reads it (explicit denies; ingest-queue-policies.ts).
    restrictIngestQueues({
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      rules: this.rules,
      ingestRole: this.ingestRole,
    });

    if (props.service) {
      const service = new WorkerService(this, 'Service', {
        temporalAuth: props.service.temporalAuth,
        workerRole: this.workerRole,
        ingestRole: this.ingestRole,
        workerEnvironment: {
          NOTIFY_TOPIC_ARN: outcomes.topicArn,
          ONCALL_TOPIC_ARN: oncall.topicArn,
          AUDIT_BUCKET: audit.bucketName,
        },
        ingestEnvironment: {
          INGEST_QUEUE_URL: this.queue.queueUrl,
          INGEST_DLQ_URL: this.deadLetterQueue.queueUrl,
          ONCALL_TOPIC_ARN: oncall.topicArn,
        },
        ...(props.service.vpc ? { vpc: props.service.vpc } : {}),
        ...(props.service.policyPathInImage ? { policyPathInImage: props.service.policyPathInImage } : {}),
      });
      this.workerService = service.worker;
      this.ingestService = service.ingest;
    }

    // Outcomes, time to fix, escalations and the ingest path at a glance, with the two alarms on outcomes.
    const dashboard = new RemediationDashboard(this, 'Remediation', {
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      oncall,
      systemAlarms: [deadLetterAlarm, oldestAlarm],
      ...(this.workerService && this.ingestService
        ? { services: { worker: this.workerService, ingest: this.ingestService } }
        : {}),
    });

    const output = (name: string, value: string, description: string) =>
      new CfnOutput(this, name, { value, description });
    output('IngestQueueUrl', this.queue.queueUrl, 'INGEST_QUEUE_URL of remediator ingest');
    output('DeadLetterQueueUrl', this.deadLetterQueue.queueUrl, 'INGEST_DLQ_URL of remediator ingest');
    output('NotifyTopicArn', outcomes.topicArn, 'NOTIFY_TOPIC_ARN of remediator worker');
    output('OncallTopicArn', oncall.topicArn, 'ONCALL_TOPIC_ARN of remediator worker');
    output('AuditBucketName', audit.bucketName, 'AUDIT_BUCKET of remediator worker');
    output('WorkerRoleArn', this.workerRole.roleArn, 'The worker role (member roles trust it)');
    output('IngestRoleArn', this.ingestRole.roleArn, 'The ingest bridge role');
    output(
      'DashboardName',
      dashboard.dashboard.dashboardName,
      'The CloudWatch dashboard (docs/dashboards.md)',
    );
  }
}
