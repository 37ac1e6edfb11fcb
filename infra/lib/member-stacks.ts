/**
 * Member accounts, deployed with CloudFormation StackSets: a forwarding stack per region that sends the same
 * findings to the central account's default bus, and (once per account, IAM is global) the roles the central worker
 * assumes there, one per playbook family, each trusting only the worker with an external id and granting only what
 * its playbooks call (docs/deployment.md, Roles per playbook family).
 */
import { Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { RemediationPolicy } from '../../src/domain/policy';
import { cloudWatchPattern, configPattern, guardDutyPattern, securityHubPattern } from './event-patterns';
import type { EventPattern } from './event-patterns';
import { familyRoleName, ROLE_FAMILIES } from '../../src/domain/role-families';
import type { RoleFamily } from '../../src/domain/role-families';
import { addInstanceAttributeDenies } from './instance-attribute-bounds';
import { acknowledgeWildcardResources, addGroups } from './policy-statements';
import { addProtectedPrincipalDenies, protectedPrincipals } from './protected-principals';
import { FAMILY_PERMISSIONS } from './worker-permissions';

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

/** The roles the central worker assumes in a member account, one per playbook family. */
export interface MemberRoleProps extends StackProps {
  /** The central worker role's ARN (the only principal that may assume these roles). */
  readonly workerRoleArn: string;
  /** Required in the AssumeRole call (confused-deputy protection); the policy's `crossAccount.externalId`. */
  readonly externalId: string;
  /** The base name (the detection role); the other families add a suffix (src/domain/role-families.ts). */
  readonly roleName?: string;
  /** With it, the worker may assume the roles only as a principal of this organisation (`aws:PrincipalOrgID`). */
  readonly organizationId?: string;
  /** The policy's `trust.protectedPrincipals` (default: the built-in list); the remediator's own roles are added. */
  readonly protectedPrincipals?: readonly string[];
  /** The policy's `trust.protectedTagKey` (default `remediator:protected`). */
  readonly protectedTagKey?: string;
}

/** Construct ids: the detection role keeps the id the single member role had, so an update does not replace it. */
const CONSTRUCT_ID: Record<RoleFamily, string> = {
  detection: 'MemberRole',
  configuration: 'ConfigRole',
  'network-containment': 'NetworkRole',
  'iam-containment': 'IamRole',
  availability: 'AvailabilityRole',
};

const DESCRIPTION: Record<RoleFamily, string> = {
  detection:
    'remediator: read findings, tags and alarms; report back to Config and Security Hub. Changes no resource',
  configuration:
    'remediator: configuration fixes (S3 public access block, EBS default encryption, IMDSv2, admin ports)',
  'network-containment':
    'remediator: isolate an instance (security groups, ENIs, tags, snapshots, ASG and target groups)',
  'iam-containment':
    'remediator: deactivate an access key, deny older sessions; never on a protected principal',
  availability: 'remediator: stop and start an instance, scale out an Auto Scaling group',
};

/** Creates the five family roles (IAM is global: deploy once per account). */
export class MemberRoleStack extends Stack {
  /** Each family's role. */
  readonly roles: Readonly<Record<RoleFamily, iam.Role>>;
  /** The base (detection) role. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: MemberRoleProps) {
    super(scope, id, props);
    const base = props.roleName ?? 'RemediatorMemberRole';
    const principals = protectedPrincipals({
      workerRoleName: props.workerRoleArn.split('/').pop() ?? props.workerRoleArn,
      memberRoleName: base,
      ...(props.protectedPrincipals ? { policyNames: props.protectedPrincipals } : {}),
      ...(props.protectedTagKey ? { tagKey: props.protectedTagKey } : {}),
    });
    const roles = {} as Record<RoleFamily, iam.Role>;
    for (const family of ROLE_FAMILIES) {
      const worker = new iam.ArnPrincipal(props.workerRoleArn);
      const role = new iam.Role(this, CONSTRUCT_ID[family], {
        roleName: familyRoleName(base, family),
        assumedBy: props.organizationId
          ? worker.withConditions({ StringEquals: { 'aws:PrincipalOrgID': props.organizationId } })
          : worker,
        externalIds: [props.externalId],
        description: DESCRIPTION[family],
      });
      addGroups(role, FAMILY_PERMISSIONS[family]);
      // The only member roles with an escalation primitive get the explicit denies that bound it.
      if (family === 'iam-containment') addProtectedPrincipalDenies(role, principals);
      if (family === 'network-containment') addInstanceAttributeDenies(role);
      acknowledgeWildcardResources(role, FAMILY_PERMISSIONS[family]);
      roles[family] = role;
    }
    this.roles = roles;
    this.role = roles.detection;
  }
}
