/**
 * Member accounts: forwarding to the central bus (admitted by organisation id) and the role the worker assumes there
 * (only by the central worker role, only with the external id, only the remediation actions).
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CentralStack } from '../../infra/lib/central-stack';
import { MemberForwardingStack, MemberRoleStack } from '../../infra/lib/member-stacks';
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

it('the member role trusts only the worker role with the external id, and grants no `*` action', () => {
  const template = Template.fromStack(
    new MemberRoleStack(new App(), 'Role', {
      env,
      workerRoleArn: 'arn:aws:iam::123456789012:role/RemediatorWorker',
      externalId: 'remediator-prod',
    }),
  );
  template.hasResourceProperties('AWS::IAM::Role', {
    RoleName: 'RemediatorMemberRole',
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
  const actions = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
    (
      p as { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } } }
    ).Properties.PolicyDocument.Statement.flatMap((s) => [s.Action].flat()),
  );
  expect(actions.length).toBeGreaterThan(40);
  expect(actions.filter((a) => a.includes('*'))).toEqual([]);
  expect(actions.some((a) => a.startsWith('sqs:') || a.startsWith('sns:'))).toBe(false);
});
