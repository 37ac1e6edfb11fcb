/**
 * The seed's optional detections: the six Config managed rules under the names the policy routes, the high-CPU alarm
 * wired to its scale-out policy, and recovery alarms with `ec2:recover`; nothing unless asked.
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SEED_CONFIG_RULES, SeedDetectionsStack } from '../../infra/lib/seed-detections';
import type { SeedDetectionsProps } from '../../infra/lib/seed-detections';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';

const env = { account: '123456789012', region: 'ap-northeast-1' };
const ALL_RULES = Object.keys(SEED_CONFIG_RULES);

function synth(props: Omit<SeedDetectionsProps, 'env'>): { stack: SeedDetectionsStack; template: Template } {
  const stack = new SeedDetectionsStack(new App(), 'Seed', { env, ...props });
  return { stack, template: Template.fromStack(stack) };
}

it('names every seed Config rule exactly as the policy routes it', () => {
  const routed = DEFAULT_POLICY.routes.filter((r) => r.source === 'aws.config').flatMap((r) => r.controls);
  expect([...ALL_RULES].sort()).toEqual([...routed].sort());
});

it("creates every managed rule with its AWS identifier and scope, the kit playbooks' from their declarations", () => {
  const { template } = synth({ configRules: ALL_RULES, blockedPorts: [20, 21, 3389, 3306, 4333] });
  template.resourceCountIs('AWS::Config::ConfigRule', ALL_RULES.length);
  expect(ALL_RULES.length).toBeGreaterThanOrEqual(7);
  template.hasResourceProperties('AWS::Config::ConfigRule', {
    ConfigRuleName: 'cmk-backing-key-rotation-enabled',
    Source: { Owner: 'AWS', SourceIdentifier: 'CMK_BACKING_KEY_ROTATION_ENABLED' },
    MaximumExecutionFrequency: 'TwentyFour_Hours',
    Scope: Match.absent(),
  });
  template.hasResourceProperties('AWS::Config::ConfigRule', {
    ConfigRuleName: 'restricted-ssh',
    Source: { Owner: 'AWS', SourceIdentifier: 'INCOMING_SSH_DISABLED' },
    Scope: { ComplianceResourceTypes: ['AWS::EC2::SecurityGroup'] },
  });
  template.hasResourceProperties('AWS::Config::ConfigRule', {
    ConfigRuleName: 'restricted-common-ports',
    Source: { Owner: 'AWS', SourceIdentifier: 'RESTRICTED_INCOMING_TRAFFIC' },
    InputParameters: { blockedPort1: '20', blockedPort3: '3389', blockedPort5: '4333' },
  });
  template.hasResourceProperties('AWS::Config::ConfigRule', {
    ConfigRuleName: 'ec2-ebs-encryption-by-default',
    Source: { SourceIdentifier: 'EC2_EBS_ENCRYPTION_BY_DEFAULT' },
    MaximumExecutionFrequency: 'TwentyFour_Hours',
    Scope: Match.absent(),
  });
  template.hasResourceProperties('AWS::Config::ConfigRule', {
    ConfigRuleName: 's3-bucket-public-read-prohibited',
    Source: { SourceIdentifier: 'S3_BUCKET_PUBLIC_READ_PROHIBITED' },
  });
  expect(() => synth({ configRules: ['restricted-common-ports'], blockedPorts: [1, 2, 3, 4, 5, 6] })).toThrow(
    /one to five ports/,
  );
});

it('wires the high-CPU alarm to a scale-out policy of the named group', () => {
  const { stack, template } = synth({ highCpu: { autoScalingGroupName: 'web-asg', thresholdPercent: 75 } });
  template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
    AutoScalingGroupName: 'web-asg',
    PolicyType: 'SimpleScaling',
    AdjustmentType: 'ChangeInCapacity',
    ScalingAdjustment: 1,
  });
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    AlarmName: 'high-cpu-alarm',
    Namespace: 'AWS/EC2',
    MetricName: 'CPUUtilization',
    Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'web-asg' }],
    Threshold: 75,
    AlarmActions: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^ScaleOutPolicy'), 'Arn'] }],
  });
  expect(stack.alarmNames).toEqual(['high-cpu-alarm']);
});

it('gives each instance a system status check alarm whose action is ec2:recover', () => {
  const { stack, template } = synth({
    recovery: { instanceIds: ['i-0123456789abcdef0', 'i-0fedcba9876543210'] },
  });
  template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    AlarmName: 'ec2-recovery-alarm-i-0123456789abcdef0',
    MetricName: 'StatusCheckFailed_System',
    Dimensions: [{ Name: 'InstanceId', Value: 'i-0123456789abcdef0' }],
    AlarmActions: [
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':automate:ap-northeast-1:ec2:recover']] },
    ],
  });
  expect(stack.alarmNames).toEqual([
    'ec2-recovery-alarm-i-0123456789abcdef0',
    'ec2-recovery-alarm-i-0fedcba9876543210',
  ]);
  expect(synth({ recovery: { instanceIds: ['i-0123456789abcdef0'] } }).stack.alarmNames).toEqual([
    'ec2-recovery-alarm',
  ]);
  expect(() => synth({ recovery: { instanceIds: ['web-1'] } })).toThrow(/not an instance id/);
});

it('creates nothing unless asked', () => {
  const { stack, template } = synth({});
  expect(Object.keys((template.toJSON() as { Resources?: object }).Resources ?? {})).toEqual([]);
  expect(stack.alarmNames).toEqual([]);
});
