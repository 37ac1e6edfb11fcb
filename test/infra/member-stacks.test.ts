/**
 * Member accounts: forwarding to the central bus (admitted by organisation id) and the five family roles the worker
 * assumes there (only by the central worker role, only with the external id, each only its playbooks' actions).
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CentralStack } from '../../infra/lib/central-stack';
import { MemberForwardingStack, MemberRoleStack } from '../../infra/lib/member-stacks';
import type { MemberRoleProps } from '../../infra/lib/member-stacks';
import { allActions, FAMILY_PERMISSIONS } from '../../infra/lib/worker-permissions';
import type { RoleFamily } from '../../src/domain/role-families';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';

const env = { account: '111111111111', region: 'ap-northeast-1' };

it('forwards exactly the routed findings of a member region to the central default bus', () => {
  const template = Template.fromStack(
    new MemberForwardingStack(new App(), 'Fwd', {
      env,
      policy: DEFAULT_POLICY,
      managedAlarmNames: ['high-cpu-alarm'],
      centralAccount: '123456789012',
    }),
  );
  template.resourceCountIs('AWS::Events::Rule', 4);
  template.allResourcesProperties('AWS::Events::Rule', {
    Targets: [
      Match.objectLike({
        Arn: {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':events:ap-northeast-1:123456789012:event-bus/default'],
          ],
        },
      }),
    ],
  });
});

it('forwards from a member region (StackSets deploy it environment-agnostic) to the central region', () => {
  const template = Template.fromStack(
    new MemberForwardingStack(new App(), 'FwdEu', {
      policy: DEFAULT_POLICY,
      managedAlarmNames: [],
      centralAccount: '123456789012',
      centralRegion: 'ap-northeast-1',
    }),
  );
  template.resourceCountIs('AWS::Events::Rule', 3);
  template.allResourcesProperties('AWS::Events::Rule', {
    Targets: [
      Match.objectLike({
        Arn: {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':events:ap-northeast-1:123456789012:event-bus/default'],
          ],
        },
        RoleArn: Match.anyValue(),
      }),
    ],
  });
});

it('the central bus admits only accounts of the organisation', () => {
  const template = Template.fromStack(
    new CentralStack(new App(), 'Central', {
      env: { account: '123456789012', region: 'ap-northeast-1' },
      policy: DEFAULT_POLICY,
      managedAlarmNames: [],
      organizationId: 'o-abc123def4',
    }),
  );
  template.hasResourceProperties('AWS::Events::EventBusPolicy', {
    Statement: Match.objectLike({
      Action: 'events:PutEvents',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123def4' } },
    }),
  });
});

type Statement = {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
};

/** The statements of each role of a member role stack, by role name. */
function statementsByRole(template: Template): Record<string, Statement[]> {
  const roles = template.findResources('AWS::IAM::Role') as Record<
    string,
    { Properties: { RoleName: string } }
  >;
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Array<{
    Properties: { Roles: Array<{ Ref: string }>; PolicyDocument: { Statement: Statement[] } };
  }>;
  return Object.fromEntries(
    Object.entries(roles).map(([id, role]) => [
      role.Properties.RoleName,
      policies
        .filter((p) => p.Properties.Roles.some((r) => r.Ref === id))
        .flatMap((p) => p.Properties.PolicyDocument.Statement),
    ]),
  );
}

const FAMILY_ROLE_NAMES: Record<RoleFamily, string> = {
  detection: 'RemediatorMemberRole',
  configuration: 'RemediatorMemberRole-Config',
  'network-containment': 'RemediatorMemberRole-Network',
  'iam-containment': 'RemediatorMemberRole-Iam',
  availability: 'RemediatorMemberRole-Availability',
};

const memberRoles = (props: Partial<MemberRoleProps> = {}) =>
  Template.fromStack(
    new MemberRoleStack(new App(), 'Role', {
      env,
      workerRoleArn: 'arn:aws:iam::123456789012:role/RemediatorWorker',
      externalId: 'remediator-prod',
      ...props,
    }),
  );

it('creates one role per playbook family, each trusting only the worker role with the external id', () => {
  const template = memberRoles();
  template.resourceCountIs('AWS::IAM::Role', 5);
  for (const roleName of Object.values(FAMILY_ROLE_NAMES)) {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: roleName,
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::123456789012:role/RemediatorWorker' },
            Condition: { StringEquals: { 'sts:ExternalId': 'remediator-prod' } },
          },
        ],
      },
    });
  }
});

it('trusts the worker only as a principal of the organisation when given one', () => {
  const template = memberRoles({ organizationId: 'o-abc123def4', roleName: 'Rem' });
  template.hasResourceProperties('AWS::IAM::Role', {
    RoleName: 'Rem-Network',
    AssumeRolePolicyDocument: {
      Statement: [
        Match.objectLike({
          Condition: {
            StringEquals: { 'sts:ExternalId': 'remediator-prod', 'aws:PrincipalOrgID': 'o-abc123def4' },
          },
        }),
      ],
    },
  });
});

it("grants each family role exactly its family's table, with no `*` action in an Allow", () => {
  const byRole = statementsByRole(memberRoles());
  for (const [family, roleName] of Object.entries(FAMILY_ROLE_NAMES) as Array<[RoleFamily, string]>) {
    const statements = byRole[roleName] ?? [];
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect([roleName, allows.map((s) => s.Sid)]).toEqual([
      roleName,
      FAMILY_PERMISSIONS[family].map((g) => g.sid),
    ]);
    const actions = allows.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    // Queues and topics are remediated (encryption at rest), but a member role never sends, receives or publishes.
    expect(actions.filter((a) => /^(sqs:(Send|Receive|Delete)Message|sns:Publish)/.test(a))).toEqual([]);
    expect([...new Set(actions)].sort()).toEqual(allActions(FAMILY_PERMISSIONS[family]));
  }
});

it('puts stop/start in the availability role only, and bounds the network and IAM roles with denies', () => {
  const byRole = statementsByRole(memberRoles());
  const actionsOf = (name: string) => (byRole[name] ?? []).flatMap((s) => [s.Action].flat());
  for (const name of Object.values(FAMILY_ROLE_NAMES)) {
    const stopStart = actionsOf(name).filter((a) => /^ec2:(Stop|Start)Instances$/.test(a));
    expect([name, stopStart.length > 0]).toEqual([name, name === FAMILY_ROLE_NAMES.availability]);
  }
  const network = byRole[FAMILY_ROLE_NAMES['network-containment']] ?? [];
  for (const s of network.filter((s) => [s.Action].flat().includes('ec2:ModifyInstanceAttribute'))) {
    expect(s.Condition).toBeDefined();
  }
  expect(network.filter((s) => s.Effect === 'Deny').map((s) => s.Sid)).toEqual([
    'DenyUserDataChange',
    'DenyInstanceTypeChange',
    'DenyKernelChange',
    'DenyRamdiskChange',
    'DenyCodeAttributeChange',
  ]);
  const iamRole = byRole[FAMILY_ROLE_NAMES['iam-containment']] ?? [];
  const byName = iamRole.find((s) => s.Sid === 'ProtectedPrincipalsByName');
  expect(byName?.Effect).toBe('Deny');
  const names = JSON.stringify(byName?.Resource);
  for (const name of [
    ...Object.values(FAMILY_ROLE_NAMES),
    'RemediatorWorker',
    'AWSReservedSSO_*',
    'stacksets-exec-*',
  ]) {
    expect(names).toContain(`:iam::*:*/${name}"`);
  }
  expect(iamRole.find((s) => s.Sid === 'ProtectedPrincipalsByTag')?.Condition).toEqual({
    Null: { 'aws:ResourceTag/remediator:protected': 'false' },
  });
  // The policy's own tag key and names, when it has them.
  const custom = statementsByRole(
    memberRoles({ protectedTagKey: 'sec:frozen', protectedPrincipals: ['BreakGlass'] }),
  )[FAMILY_ROLE_NAMES['iam-containment']];
  expect(JSON.stringify(custom)).toContain('aws:ResourceTag/sec:frozen');
  expect(JSON.stringify(custom)).toContain(':iam::*:*/BreakGlass"');
  expect(JSON.stringify(custom)).not.toContain('OrganizationAccountAccessRole');
});
