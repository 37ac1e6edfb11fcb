/**
 * The seed's detections, each optional: the AWS Config managed rules whose findings have playbooks, a high-CPU
 * alarm on an Auto Scaling group with its scale-out policy, and `StatusCheckFailed_System` alarms with the `ec2:recover`
 * action. Deploy it where the resources live (the central account, or members through StackSets). The remediator does
 * not replace these alarm actions: its CloudWatch playbooks verify what they did (docs/playbooks.md).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as config from 'aws-cdk-lib/aws-config';
import type { Construct } from 'constructs';
import { KIT_PLAYBOOKS } from '../../src/playbooks';

/** A Config managed rule the stack can create: its AWS identifier, the resource types it looks at, its schedule. */
export interface SeedConfigRule {
  readonly identifier: string;
  /** Empty for a periodic rule that evaluates the account, not a resource. */
  readonly scope: readonly config.ResourceType[];
  readonly periodic?: boolean;
}

/**
 * The Config rules the stack can create, from the playbooks' declarations: our rule name (what the policy routes) ⇒
 * AWS managed rule and what it looks at (periodic ones have no scope: they judge the account or every resource of
 * their type on a schedule).
 */
export const SEED_CONFIG_RULES: Readonly<Record<string, SeedConfigRule>> = Object.fromEntries(
  KIT_PLAYBOOKS.flatMap((p) =>
    Object.entries(p.triggers.configRules ?? {}).map(([name, rule]) => [
      name,
      {
        identifier: rule.identifier,
        scope: rule.periodic ? [] : [config.ResourceType.of(p.resource.type)],
        ...(rule.periodic ? { periodic: true } : {}),
      },
    ]),
  ),
);

/** A seed Config rule's name (checked against SEED_CONFIG_RULES where it is read). */
export type SeedConfigRuleName = string;

/** Which detections to create. Everything is optional: leave a field out and nothing of it is created. */
export interface SeedDetectionsProps extends StackProps {
  /** Config rules to create (by our name). Needs a Config recorder in the account and region. */
  readonly configRules?: readonly SeedConfigRuleName[];
  /** Ports `restricted-common-ports` flags (AWS's default: 20, 21, 3389, 3306, 4333; at most five). */
  readonly blockedPorts?: readonly number[];
  /** High CPU on this Auto Scaling group ⇒ its simple scale-out policy (+`adjustment` instances). */
  readonly highCpu?: {
    readonly autoScalingGroupName: string;
    readonly thresholdPercent?: number;
    readonly adjustment?: number;
    readonly alarmName?: string;
  };
  /** `StatusCheckFailed_System` on each instance ⇒ `ec2:recover`. */
  readonly recovery?: { readonly instanceIds: readonly string[]; readonly alarmNamePrefix?: string };
}

/** Creates the chosen detections; `alarmNames` feeds the central stack's `managedAlarmNames`. */
export class SeedDetectionsStack extends Stack {
  /** The names of the alarms created here, for the EventBridge rule that forwards their state changes. */
  readonly alarmNames: readonly string[];

  constructor(scope: Construct, id: string, props: SeedDetectionsProps) {
    super(scope, id, props);
    for (const name of props.configRules ?? []) this.configRule(name, props.blockedPorts);
    this.alarmNames = [
      ...(props.highCpu ? [this.highCpuAlarm(props.highCpu)] : []),
      ...(props.recovery ? this.recoveryAlarms(props.recovery) : []),
    ];
  }

  private configRule(name: SeedConfigRuleName, blockedPorts: readonly number[] | undefined): void {
    const rule = SEED_CONFIG_RULES[name];
    if (!rule)
      throw new Error(
        `configRules: no Config rule '${name}' (known: ${Object.keys(SEED_CONFIG_RULES).join(', ')})`,
      );
    const isPorts = name === 'restricted-common-ports';
    if (isPorts && blockedPorts && (blockedPorts.length === 0 || blockedPorts.length > 5)) {
      throw new Error('blockedPorts: restricted-common-ports takes one to five ports');
    }
    new config.ManagedRule(this, `Rule-${name}`, {
      configRuleName: name,
      identifier: rule.identifier,
      ...(rule.scope.length > 0 ? { ruleScope: config.RuleScope.fromResources([...rule.scope]) } : {}),
      ...(rule.periodic
        ? { maximumExecutionFrequency: config.MaximumExecutionFrequency.TWENTY_FOUR_HOURS }
        : {}),
      ...(isPorts && blockedPorts
        ? {
            inputParameters: Object.fromEntries(
              blockedPorts.map((port, i) => [`blockedPort${i + 1}`, String(port)]),
            ),
          }
        : {}),
    });
  }

  private highCpuAlarm(options: NonNullable<SeedDetectionsProps['highCpu']>): string {
    const alarmName = options.alarmName ?? 'high-cpu-alarm';
    const group = autoscaling.AutoScalingGroup.fromAutoScalingGroupName(
      this,
      'ScaledGroup',
      options.autoScalingGroupName,
    );
    const scaleOut = new autoscaling.CfnScalingPolicy(this, 'ScaleOutPolicy', {
      autoScalingGroupName: group.autoScalingGroupName,
      policyType: 'SimpleScaling',
      adjustmentType: 'ChangeInCapacity',
      scalingAdjustment: options.adjustment ?? 1,
      cooldown: '300',
    });
    const alarm = new cloudwatch.Alarm(this, 'HighCpuAlarm', {
      alarmName,
      alarmDescription: `CPU above ${options.thresholdPercent ?? 80}% on ${options.autoScalingGroupName}: scale out (the remediator verifies it)`,
      metric: new cloudwatch.Metric({
        namespace: 'AWS/EC2',
        metricName: 'CPUUtilization',
        dimensionsMap: { AutoScalingGroupName: options.autoScalingGroupName },
        statistic: 'Average',
        period: Duration.minutes(1),
      }),
      threshold: options.thresholdPercent ?? 80,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    alarm.addAlarmAction({ bind: () => ({ alarmActionArn: scaleOut.attrArn }) });
    return alarmName;
  }

  private recoveryAlarms(options: NonNullable<SeedDetectionsProps['recovery']>): string[] {
    return options.instanceIds.map((instanceId) => {
      if (!/^i-[0-9a-f]{8,17}$/.test(instanceId))
        throw new Error(`recovery: not an instance id: '${instanceId}'`);
      const alarmName =
        options.instanceIds.length === 1 && !options.alarmNamePrefix
          ? 'ec2-recovery-alarm'
          : `${options.alarmNamePrefix ?? 'ec2-recovery-alarm'}-${instanceId}`;
      new cloudwatch.Alarm(this, `Recovery-${instanceId}`, {
        alarmName,
        alarmDescription: `${instanceId} failed its system status check: ec2:recover (the remediator verifies it)`,
        metric: new cloudwatch.Metric({
          namespace: 'AWS/EC2',
          metricName: 'StatusCheckFailed_System',
          dimensionsMap: { InstanceId: instanceId },
          statistic: 'Maximum',
          period: Duration.minutes(1),
        }),
        threshold: 1,
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      }).addAlarmAction(new cwActions.Ec2Action(cwActions.Ec2InstanceAction.RECOVER));
      return alarmName;
    });
  }
}
