/**
 * No role of any stack the app makes (the CDK-generated ones included) holds a privilege-escalation primitive that
 * nothing bounds: every Allow of one carries a Condition, is met by a Deny of the same role, or names concrete
 * resources only (infra/lib/escalation-check.ts). The checker itself is shown to catch what it must.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CentralStack } from '../../infra/lib/central-stack';
import { primitiveGrants, unboundedPrimitives } from '../../infra/lib/escalation-check';
import { MemberForwardingStack, MemberRoleStack } from '../../infra/lib/member-stacks';
import { SEED_CONFIG_RULES, SeedDetectionsStack } from '../../infra/lib/seed-detections';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';

const env = { account: '123456789012', region: 'ap-northeast-1' };
const member = { workerRoleArn: 'arn:aws:iam::123456789012:role/RemediatorWorker', externalId: 'ext' };

/** Every stack the app makes, in each shape it can take. */
function allStacks(): Record<string, Stack> {
  const app = new App();
  return {
    central: new CentralStack(app, 'Central', { env, policy: DEFAULT_POLICY, managedAlarmNames: [] }),
    centralApiKey: new CentralStack(app, 'CentralApiKey', {
      env,
      policy: DEFAULT_POLICY,
      managedAlarmNames: ['high-cpu-alarm'],
      organizationId: 'o-abc123def4',
      auditObjectLockDays: 365,
      service: { temporalAuth: 'api-key' },
    }),
    centralMtls: new CentralStack(app, 'CentralMtls', {
      env,
      policy: DEFAULT_POLICY,
      managedAlarmNames: [],
      queueEncryption: 'sqs',
      workerRoleName: 'RemediatorWorkerMtls',
      service: { temporalAuth: 'mtls' },
    }),
    memberRole: new MemberRoleStack(app, 'MemberRole', { ...member }),
    memberRoleInOrg: new MemberRoleStack(app, 'MemberRoleOrg', { ...member, organizationId: 'o-abc123def4' }),
    memberForwarding: new MemberForwardingStack(app, 'Forwarding', {
      policy: DEFAULT_POLICY,
      managedAlarmNames: ['high-cpu-alarm'],
      centralAccount: '123456789012',
      centralRegion: 'ap-northeast-1',
    }),
    seed: new SeedDetectionsStack(app, 'Seed', {
      env,
      configRules: Object.keys(SEED_CONFIG_RULES),
      highCpu: { autoScalingGroupName: 'web-asg' },
      recovery: { instanceIds: ['i-0123456789abcdef0'] },
    }),
  };
}

const templates = Object.entries(allStacks()).map(
  ([name, stack]) => [name, Template.fromStack(stack).toJSON() as object] as const,
);

it.each(templates)('%s: grants no escalation primitive unbounded', (_name, template) => {
  expect(unboundedPrimitives(template)).toEqual([]);
});

it('bounds the primitives the remediator needs: IAM writes by denies, instance attributes by conditions', () => {
  const bounds = (name: string) =>
    primitiveGrants(templates.find(([n]) => n === name)?.[1] ?? {}).map(
      (g) => `${g.principal.replace(/[0-9A-F]{8}$/, '')} ${g.action} ${g.boundBy ?? 'UNBOUNDED'}`,
    );
  expect(bounds('memberRole').sort()).toEqual(
    [
      // A flow log's delivery role, passed only to the flow logs service.
      'ConfigRole iam:PassRole condition',
      'IamRole iam:PutRolePolicy deny',
      'IamRole iam:PutUserPolicy deny',
      // Key containment, and the IAM.3 and IAM.8 playbooks' statements.
      'IamRole iam:UpdateAccessKey deny',
      'IamRole iam:UpdateAccessKey deny',
      'IamRole iam:UpdateAccessKey deny',
      'NetworkRole ec2:ModifyInstanceAttribute condition',
      'NetworkRole ec2:ModifyInstanceAttribute condition',
    ].sort(),
  );
  expect(bounds('central').sort()).toEqual(
    [
      'WorkerRole iam:PassRole condition',
      'WorkerRole iam:PutRolePolicy deny',
      'WorkerRole iam:PutUserPolicy deny',
      'WorkerRole iam:UpdateAccessKey deny',
      'WorkerRole iam:UpdateAccessKey deny',
      'WorkerRole iam:UpdateAccessKey deny',
      'WorkerRole ec2:ModifyInstanceAttribute condition',
      'WorkerRole ec2:ModifyInstanceAttribute condition',
      'WorkerRole sts:AssumeRole concrete-resources',
    ].sort(),
  );
});

it("keeps every managed policy within IAM's 6,144 characters", () => {
  for (const [name, template] of templates) {
    const resources = (template as { Resources: Record<string, { Type: string; Properties: never }> })
      .Resources;
    for (const [id, r] of Object.entries(resources)) {
      if (r.Type !== 'AWS::IAM::ManagedPolicy') continue;
      const text = JSON.stringify((r.Properties as { PolicyDocument: unknown }).PolicyDocument)
        .replace(/\{"Ref":"AWS::Partition"\}/g, '"aws"')
        .replace(/\s/g, '');
      expect([name, id, text.length < 6_144]).toEqual([name, id, true]);
    }
  }
});

it("keeps every role's inline policies within IAM's 10,240 characters", () => {
  for (const [name, template] of templates) {
    const resources = (template as { Resources: Record<string, { Type: string; Properties: never }> })
      .Resources;
    const size = new Map<string, number>();
    for (const r of Object.values(resources)) {
      if (r.Type !== 'AWS::IAM::Policy') continue;
      const { Roles, PolicyDocument } = r.Properties as {
        Roles: Array<{ Ref: string }>;
        PolicyDocument: unknown;
      };
      // CloudFormation writes the partition where the template has a reference to it.
      const text = JSON.stringify(PolicyDocument)
        .replace(/\{"Ref":"AWS::Partition"\}/g, '"aws"')
        .replace(/\s/g, '');
      for (const role of Roles) size.set(role.Ref, (size.get(role.Ref) ?? 0) + text.length);
    }
    for (const [role, chars] of size) expect([name, role, chars < 10_240]).toEqual([name, role, true]);
  }
});

describe('the checker', () => {
  /** One role with the given statements, synthesized. */
  function withRole(...statements: iam.PolicyStatement[]): object {
    const stack = new Stack(new App(), 'Synthetic');
    // The checker must see a NotAction; CDK's template validation warns about one.
    Validations.of(stack).acknowledge({ id: 'CloudFormation-Validate::W2512', reason: 'checker input' });
    const role = new iam.Role(stack, 'Escalator', { assumedBy: new iam.AccountRootPrincipal() });
    for (const s of statements) role.addToPolicy(s);
    return Template.fromStack(stack).toJSON();
  }
  const actionsOf = (template: object) => unboundedPrimitives(template).map((g) => g.action);

  it('reports an unconditioned primitive on *', () => {
    expect(
      actionsOf(withRole(new iam.PolicyStatement({ actions: ['iam:PutRolePolicy'], resources: ['*'] }))),
    ).toEqual(['iam:PutRolePolicy']);
  });

  it('reports what a wildcard action, `*` or NotAction covers', () => {
    const iamStar = actionsOf(withRole(new iam.PolicyStatement({ actions: ['iam:*'], resources: ['*'] })));
    expect(iamStar).toEqual(
      expect.arrayContaining(['iam:PassRole', 'iam:AttachRolePolicy', 'iam:CreateAccessKey']),
    );
    expect(iamStar).not.toContain('ec2:ModifyInstanceAttribute');
    expect(actionsOf(withRole(new iam.PolicyStatement({ actions: ['*'], resources: ['*'] })))).toHaveLength(
      21,
    );
    expect(
      actionsOf(withRole(new iam.PolicyStatement({ actions: ['ssm:Send*'], resources: ['*'] }))),
    ).toEqual(['ssm:SendCommand']);
    const notAction = withRole(new iam.PolicyStatement({ notActions: ['iam:*'], resources: ['*'] }));
    expect(actionsOf(notAction)).toEqual(
      expect.arrayContaining(['ec2:ModifyInstanceAttribute', 'sts:AssumeRole']),
    );
    expect(actionsOf(notAction)).not.toContain('iam:PassRole');
  });

  it('reports a primitive in a managed policy attached to a role, and an attached AdministratorAccess', () => {
    const stack = new Stack(new App(), 'Managed');
    const role = new iam.Role(stack, 'Escalator', {
      assumedBy: new iam.AccountRootPrincipal(),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AdministratorAccess')],
    });
    new iam.ManagedPolicy(stack, 'Lambda', {
      roles: [role],
      statements: [new iam.PolicyStatement({ actions: ['lambda:UpdateFunctionCode'], resources: ['*'] })],
    });
    const found = unboundedPrimitives(Template.fromStack(stack).toJSON());
    expect(found.filter((g) => g.sid === 'managed:AdministratorAccess')).toHaveLength(21);
    expect(found.map((g) => g.action)).toContain('lambda:UpdateFunctionCode');
  });

  it('accepts a primitive bounded by a condition, by a Deny of the same role, or by a named resource', () => {
    const conditioned = new iam.PolicyStatement({
      actions: ['ec2:ModifyInstanceAttribute'],
      resources: ['*'],
      conditions: { Null: { 'ec2:Attribute/DisableApiTermination': 'false' } },
    });
    const denied = [
      new iam.PolicyStatement({ actions: ['iam:UpdateAccessKey'], resources: ['*'] }),
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        actions: ['iam:Update*'],
        resources: ['arn:aws:iam::*:user/x'],
      }),
    ];
    const named = new iam.PolicyStatement({
      actions: ['sts:AssumeRole'],
      resources: ['arn:aws:iam::*:role/RemediatorMemberRole-Network'],
    });
    expect(actionsOf(withRole(conditioned, ...denied, named))).toEqual([]);
    expect(
      actionsOf(
        withRole(
          new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: ['arn:aws:iam::*:role/*'] }),
        ),
      ),
    ).toEqual(['sts:AssumeRole']);
  });

  it('does not let a Deny of another role bound this one', () => {
    const stack = new Stack(new App(), 'TwoRoles');
    const a = new iam.Role(stack, 'A', { assumedBy: new iam.AccountRootPrincipal() });
    const b = new iam.Role(stack, 'B', { assumedBy: new iam.AccountRootPrincipal() });
    a.addToPolicy(new iam.PolicyStatement({ actions: ['iam:PutUserPolicy'], resources: ['*'] }));
    b.addToPolicy(
      new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['iam:Put*'], resources: ['*'] }),
    );
    const found = unboundedPrimitives(Template.fromStack(stack).toJSON());
    expect(found.map((g) => [g.principal.slice(0, 1), g.action])).toEqual([['A', 'iam:PutUserPolicy']]);
  });

  it('reads a bare policy JSON too (inline role policies)', () => {
    const template = {
      Resources: {
        Legacy: {
          Type: 'AWS::IAM::Role',
          Properties: {
            Policies: [
              {
                PolicyName: 'old',
                PolicyDocument: {
                  Statement: [
                    { Effect: 'Allow', Action: ['iam:PutUserPolicy', 'iam:UpdateAccessKey'], Resource: '*' },
                    { Effect: 'Allow', Action: 'ec2:ModifyInstanceAttribute', Resource: '*' },
                  ],
                },
              },
            ],
          },
        },
      },
    };
    expect(unboundedPrimitives(template).map((g) => g.action)).toEqual([
      'iam:PutUserPolicy',
      'iam:UpdateAccessKey',
      'ec2:ModifyInstanceAttribute',
    ]);
  });
});
