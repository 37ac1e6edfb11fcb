/**
 * cdk-nag's AWS Solutions rules over every stack of the app: synthesis fails on any finding that is not fixed or
 * acknowledged with a reason (the acknowledgements live next to the constructs they concern).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CentralStack } from '../../infra/lib/central-stack';
import { MemberForwardingStack, MemberRoleStack } from '../../infra/lib/member-stacks';
import { SeedDetectionsStack } from '../../infra/lib/seed-detections';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';

it('passes the AWS Solutions rules (or acknowledges each finding with its reason)', () => {
  const app = new App();
  const env = { account: '123456789012', region: 'ap-northeast-1' };
  new CentralStack(app, 'Central', {
    policy: DEFAULT_POLICY,
    managedAlarmNames: ['ec2-recovery-alarm', 'high-cpu-alarm'],
    env,
    organizationId: 'o-abc123def4',
    auditObjectLockDays: 365,
    service: { temporalAuth: 'api-key' },
  });
  new CentralStack(app, 'CentralMtls', {
    policy: DEFAULT_POLICY,
    managedAlarmNames: [],
    env,
    queueEncryption: 'sqs',
    workerRoleName: 'RemediatorWorkerMtls',
    service: { temporalAuth: 'mtls' },
  });
  new SeedDetectionsStack(app, 'Seed', {
    env,
    configRules: [
      's3-bucket-public-read-prohibited',
      'restricted-common-ports',
      'ec2-ebs-encryption-by-default',
    ],
    highCpu: { autoScalingGroupName: 'web-asg' },
    recovery: { instanceIds: ['i-0123456789abcdef0'] },
  });
  new MemberForwardingStack(app, 'Forwarding', {
    policy: DEFAULT_POLICY,
    managedAlarmNames: ['high-cpu-alarm'],
    env: { ...env, account: '111111111111' },
    centralAccount: '123456789012',
  });
  new MemberRoleStack(app, 'MemberRole', {
    env: { ...env, account: '111111111111' },
    workerRoleArn: 'arn:aws:iam::123456789012:role/RemediatorWorker',
    externalId: 'remediator-prod',
    organizationId: 'o-abc123def4',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

  expect(() => app.synth()).not.toThrow();
});
