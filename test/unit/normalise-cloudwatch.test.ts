import { parseMessageBody } from '../../src/ingest/envelope';
import { singleFinding } from '../../src/ingest/normalise';
import { routeFinding } from '../../src/ingest/router';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { fixtureEvent, fixtureText } from '../helpers/fixtures';

describe('CloudWatch alarm state changes', () => {
  it('routes StatusCheckFailed_System on an instance to instance recovery', () => {
    const finding = singleFinding(parseMessageBody(fixtureText('cloudwatch-alarm-status-check-failed.json')));
    expect(finding).toMatchObject({
      source: 'aws.cloudwatch',
      control: 'AWS/EC2/StatusCheckFailed_System',
      state: 'FAILED',
      resource: {
        account: '123456789012',
        region: 'ap-northeast-1',
        resourceType: 'AWS::EC2::Instance',
        resourceId: 'i-0a1b2c3d4e5f60718',
      },
      details: { alarmName: 'ec2-recovery-alarm' },
    });
    expect(routeFinding(finding, DEFAULT_POLICY)).toEqual({
      action: 'start',
      playbook: 'ec2-instance-recovery',
    });
  });

  it('routes high CPU on an Auto Scaling group to scale-out, not CPU on a single instance', () => {
    const asg = singleFinding(parseMessageBody(fixtureText('cloudwatch-alarm-high-cpu.json')));
    expect(asg.resource).toMatchObject({
      resourceType: 'AWS::AutoScaling::AutoScalingGroup',
      resourceId: 'web-asg',
    });
    expect(routeFinding(asg, DEFAULT_POLICY)).toEqual({ action: 'start', playbook: 'asg-scale-out' });

    const base = fixtureEvent('cloudwatch-alarm-high-cpu.json') as {
      detail: { configuration: { metrics: Array<{ metricStat: { metric: object } }> } };
    };
    const metric = base.detail.configuration.metrics[0]!.metricStat.metric;
    const onInstance = fixtureEvent('cloudwatch-alarm-high-cpu.json', {
      configuration: {
        metrics: [
          {
            id: 'm1',
            metricStat: { metric: { ...metric, dimensions: { InstanceId: 'i-0123456789abcdef0' } } },
          },
        ],
      },
    });
    expect(
      routeFinding(singleFinding(parseMessageBody(JSON.stringify(onInstance))), DEFAULT_POLICY).action,
    ).toBe('acknowledge');
  });

  it('turns OK into a signal for a running execution and ignores INSUFFICIENT_DATA', () => {
    const ok = fixtureEvent('cloudwatch-alarm-high-cpu.json', { state: { value: 'OK' } });
    const unknown = fixtureEvent('cloudwatch-alarm-high-cpu.json', { state: { value: 'INSUFFICIENT_DATA' } });
    expect(routeFinding(singleFinding(parseMessageBody(JSON.stringify(ok))), DEFAULT_POLICY).action).toBe(
      'signal-only',
    );
    expect(singleFinding(parseMessageBody(JSON.stringify(unknown))).state).toBe('NOT_APPLICABLE');
  });
});
