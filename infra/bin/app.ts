/**
 * The CDK app: `npx cdk synth` (cdk.json names this file). Stacks:
 * - `RemediatorCentral`: rules, queue, topics, audit bucket, alarms, worker and bridge roles (and, with
 *   `-c service=api-key|mtls`, the Fargate services);
 * - `RemediatorSeedDetections`: the seed's Config rules and alarms, each only when its context is given;
 * - `RemediatorMemberForwarding`, `RemediatorMemberRole`: environment-agnostic templates for StackSets in member
 *   accounts (forward findings to the central bus; the five family roles the worker assumes).
 * The policy comes from `REMEDIATION_POLICY` (or the built-in seed policy) so the rules let through exactly what has a
 * playbook. Context values are checked here so a typo fails the synth with the key's name.
 */
import { App } from 'aws-cdk-lib';
import { loadPolicy } from '../../src/policy/load-policy';
import { CentralStack } from '../lib/central-stack';
import { trustSettings } from '../../src/policy/worker-policy';
import { MAX_MEMBER_ROLE_NAME, MEMBER_ROLE_NAME, readContext } from '../lib/context';
import { MemberForwardingStack, MemberRoleStack } from '../lib/member-stacks';
import { SeedDetectionsStack } from '../lib/seed-detections';

const app = new App();
const context = readContext((key) => app.node.tryGetContext(key) as unknown);
const policy = loadPolicy(process.env.REMEDIATION_POLICY);
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

// Only when something is asked for: CloudFormation refuses a stack without resources.
const seedAsked =
  context.configRules.length > 0 ||
  context.highCpuGroup !== undefined ||
  context.recoveryInstances.length > 0;
const seed = seedAsked
  ? new SeedDetectionsStack(app, 'RemediatorSeedDetections', {
      env,
      configRules: context.configRules,
      ...(context.highCpuGroup ? { highCpu: { autoScalingGroupName: context.highCpuGroup } } : {}),
      ...(context.recoveryInstances.length > 0
        ? { recovery: { instanceIds: context.recoveryInstances } }
        : {}),
    })
  : undefined;
// The alarms this app creates, and any the operator names (alarms kept elsewhere).
const managedAlarmNames = [...new Set([...(seed?.alarmNames ?? []), ...context.alarmNames])];

// The worker assumes the role the policy names (and its family siblings); the member stacks create those names.
const memberRoleName = requireMemberRoleName(policy.crossAccount?.roleName ?? context.memberRoleName);

const central = new CentralStack(app, 'RemediatorCentral', {
  env,
  policy,
  managedAlarmNames,
  workerRoleName: context.workerRoleName,
  memberRoleName,
  ...(context.organizationId ? { organizationId: context.organizationId } : {}),
  ...(context.auditObjectLockDays ? { auditObjectLockDays: context.auditObjectLockDays } : {}),
  ...(context.service
    ? {
        service: {
          temporalAuth: context.service,
          ...(context.policyPathInImage ? { policyPathInImage: context.policyPathInImage } : {}),
        },
      }
    : {}),
});

if (context.centralAccount) {
  new MemberForwardingStack(app, 'RemediatorMemberForwarding', {
    policy,
    managedAlarmNames,
    centralAccount: context.centralAccount,
    centralRegion: requireCentralRegion(context.centralRegion ?? env.region),
  });
  // The -Iam role's denies protect what the worker's policy protects (names and tag), besides the remediator's roles.
  const trust = trustSettings(policy);
  new MemberRoleStack(app, 'RemediatorMemberRole', {
    workerRoleArn: `arn:aws:iam::${context.centralAccount}:role/${context.workerRoleName}`,
    externalId: requireExternalId(context.externalId ?? policy.crossAccount?.externalId),
    roleName: memberRoleName,
    ...(context.organizationId ? { organizationId: context.organizationId } : {}),
    protectedPrincipals: trust.protectedPrincipals,
    protectedTagKey: trust.protectedTagKey,
  });
}
void central;
app.synth();

/** A guessable external id defeats its purpose (confused-deputy protection): there is no default. */
function requireExternalId(value: string | undefined): string {
  if (!value) {
    throw new Error(
      'context externalId (or crossAccount.externalId in the policy) is required with centralAccount: ' +
        'the member role trusts the worker only with it',
    );
  }
  return value;
}

/** Each family role adds a suffix to the base name; IAM names stop at 64 characters. */
function requireMemberRoleName(name: string): string {
  if (!MEMBER_ROLE_NAME.test(name)) {
    throw new Error(
      `member role name '${name}' (crossAccount.roleName or context memberRoleName): at most ` +
        `${MAX_MEMBER_ROLE_NAME} characters of [A-Za-z0-9+=,.@_-], so every family role name fits in 64`,
    );
  }
  return name;
}

/** Member regions forward to the central region, which the templates (deployed to many regions) must name. */
function requireCentralRegion(value: string | undefined): string {
  if (!value)
    throw new Error('context centralRegion (or CDK_DEFAULT_REGION) is required with centralAccount');
  return value;
}
