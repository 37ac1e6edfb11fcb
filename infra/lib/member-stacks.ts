/**
 * Member accounts, deployed with CloudFormation StackSets: a forwarding stack per region that sends the same
 * findings to the central account's default bus, and (once per account, IAM is global) the role the central worker
 * assumes there, with an external id, granting exactly the remediation actions.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { RemediationPolicy } from '../../src/domain/policy';
import { cloudWatchPattern, configPattern, guardDutyPattern, securityHubPattern } from './event-patterns';
import type { EventPattern } from './event-patterns';
import { REMEDIATION_PERMISSIONS } from './worker-permissions';

/** What a member account forwards, and where. */
export interface MemberForwardingProps extends StackProps {
  readonly policy: RemediationPolicy;
  readonly managedAlarmNames: readonly string[];
  readonly centralAccount: string;
  /** The central stack's region: every member region forwards there (EventBridge delivers across regions). */
  readonly centralRegion?: string;
  readonly guardDutyMinSeverity?: number;
}

/** Forwards the findings with playbooks to the central account's default bus (one per member region). */
export class MemberForwardingStack extends Stack {
  constructor(scope: Construct, id: string, props: MemberForwardingProps) {
    super(scope, id, props);
    const central = events.EventBus.fromEventBusArn(
      this,
      'CentralBus',
      `arn:${this.partition}:events:${props.centralRegion ?? this.region}:${props.centralAccount}:event-bus/default`,
    );
    const patterns: Array<[string, EventPattern]> = [
      ['ForwardConfig', configPattern(props.policy)],
      ['ForwardGuardDuty', guardDutyPattern(props.policy, props.guardDutyMinSeverity ?? 7)],
      ...(props.managedAlarmNames.length > 0
        ? [['ForwardAlarms', cloudWatchPattern(props.managedAlarmNames)] as [string, EventPattern]]
        : []),
      ['ForwardSecurityHub', securityHubPattern(props.policy)],
    ];
    for (const [ruleId, pattern] of patterns) {
      new events.Rule(this, ruleId, {
        eventPattern: {
          source: pattern.source as string[],
          detailType: pattern['detail-type'] as string[],
          detail: pattern.detail as Record<string, unknown>,
        },
        targets: [new targets.EventBus(central)],
      });
    }
  }
}

/** The role the central worker assumes in a member account. */
export interface MemberRoleProps extends StackProps {
  /** The central worker role's ARN (the only principal that may assume this role). */
  readonly workerRoleArn: string;
  /** Required in the AssumeRole call (confused-deputy protection); the policy's `crossAccount.externalId`. */
  readonly externalId: string;
  readonly roleName?: string;
}

/** Creates `RemediatorMemberRole` (IAM is global: deploy once per account). */
export class MemberRoleStack extends Stack {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: MemberRoleProps) {
    super(scope, id, props);
    this.role = new iam.Role(this, 'MemberRole', {
      roleName: props.roleName ?? 'RemediatorMemberRole',
      assumedBy: new iam.ArnPrincipal(props.workerRoleArn),
      externalIds: [props.externalId],
      description:
        'Assumed by the remediator worker of the central account: exactly the calls the playbooks make',
    });
    for (const group of REMEDIATION_PERMISSIONS) {
      this.role.addToPolicy(
        new iam.PolicyStatement({ sid: group.sid, actions: [...group.actions], resources: ['*'] }),
      );
    }
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'The remediation actions act on whatever resource a finding names; most have no resource-level permissions. ' +
        'The actions are exactly those the code calls (test/infra checks it), none is a wildcard.',
    });
  }
}
