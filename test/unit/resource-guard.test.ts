/**
 * The identity check a routed finding passes before it names an execution (src/ingest/resource-guard.ts).
 */
import type { ResourceRef } from '../../src/domain/finding';
import { resourceProblem } from '../../src/ingest/resource-guard';

const resource = (overrides: Partial<ResourceRef> = {}): ResourceRef => ({
  account: '123456789012',
  region: 'ap-northeast-1',
  resourceType: 'AWS::S3::Bucket',
  resourceId: 'acme-marketing-assets',
  ...overrides,
});

it('accepts the ids AWS issues for each playbook’s resource type', () => {
  expect(resourceProblem(resource(), 's3-block-public-access')).toBeUndefined();
  expect(
    resourceProblem(resource({ resourceId: 'Legacy_Bucket.Name' }), 's3-block-public-access'),
  ).toBeUndefined();
  const instance = { resourceType: 'AWS::EC2::Instance', resourceId: 'i-0a1b2c3d4e5f60718' };
  expect(resourceProblem(resource(instance), 'ec2-enforce-imdsv2')).toBeUndefined();
  expect(resourceProblem(resource(instance), 'ec2-isolate-instance')).toBeUndefined();
  const group = { resourceType: 'AWS::EC2::SecurityGroup', resourceId: 'sg-0123456789abcdef0' };
  expect(resourceProblem(resource(group), 'sg-close-admin-ports')).toBeUndefined();
  const account = { resourceType: 'AWS::::Account', resourceId: '123456789012' };
  expect(resourceProblem(resource(account), 'ebs-encryption-by-default')).toBeUndefined();
  for (const id of ['AKIAIOSFODNN7EXAMPLE', 'ci-deployer']) {
    const key = { region: 'global', resourceType: 'AWS::IAM::AccessKey', resourceId: id };
    expect(resourceProblem(resource(key), 'iam-contain-access-key')).toBeUndefined();
  }
  const group2 = { resourceType: 'AWS::AutoScaling::AutoScalingGroup', resourceId: 'AwsAccount="x"' };
  expect(resourceProblem(resource(group2), 'asg-scale-out')).toBeUndefined();
});

it('refuses ids that would forge or smuggle into the workflow id', () => {
  const cases: [Partial<ResourceRef>, string, RegExp][] = [
    [{ region: 'ap-northeast-1/AWS::S3::Bucket/victim' }, 's3-block-public-access', /region/],
    [{ region: "' OR 1=1" }, 's3-block-public-access', /region/],
    [{ account: '12345678901x' }, 's3-block-public-access', /account/],
    [{ resourceId: "' OR 1=1 --" }, 's3-block-public-access', /not a valid AWS::S3::Bucket id/],
    [{ resourceId: '../../etc/passwd' }, 's3-block-public-access', /not a valid/],
    [
      { resourceType: 'AWS::EC2::Instance', resourceId: 'i-0a1b2c3d/../x' },
      'ec2-enforce-imdsv2',
      /not a valid/,
    ],
    [{ resourceType: 'AWS::EC2::Instance', resourceId: 'passwd' }, 'ec2-enforce-imdsv2', /not a valid/],
    [
      { resourceType: 'AWS::::Account', resourceId: '210987654321' },
      'ebs-encryption-by-default',
      /account resource/,
    ],
    [
      { resourceType: 'AWS::AutoScaling::AutoScalingGroup', resourceId: 'web\u0000asg' },
      'asg-scale-out',
      /not a valid/,
    ],
    [
      { resourceType: 'AWS::AutoScaling::AutoScalingGroup', resourceId: 'web\u202easg' },
      'asg-scale-out',
      /not a valid/,
    ],
    // A finding routed to a playbook that does not act on its resource type (e.g. a GuardDuty EC2 finding about
    // something other than an instance, or a Security Hub EC2.8 finding about a bucket).
    [{ resourceType: 'GuardDuty::Finding', resourceId: 'b2c4e6f8a0b1' }, 'ec2-isolate-instance', /acts on/],
    [{ resourceType: 'AWS::S3::Bucket' }, 'ec2-enforce-imdsv2', /acts on AWS::EC2::Instance/],
  ];
  for (const [overrides, playbook, problem] of cases) {
    expect(resourceProblem(resource(overrides), playbook)).toMatch(problem);
  }
});

it('quotes at most a bounded, escaped prefix of the offending value', () => {
  const problem = resourceProblem(
    resource({ resourceId: `a\u0000${'x'.repeat(10_000)}` }),
    's3-block-public-access',
  );
  expect(problem).toContain('\\u0000');
  expect(problem!.length).toBeLessThan(200);
});
