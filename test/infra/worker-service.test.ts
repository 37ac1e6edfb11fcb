/**
 * The optional Fargate services: worker and bridge from the image, each with its own task role, the Temporal
 * credentials from Secrets Manager (never in the template), egress limited to HTTPS and the Temporal port.
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CentralStack } from '../../infra/lib/central-stack';
import type { TemporalAuth } from '../../infra/lib/worker-service';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';

function synth(temporalAuth: TemporalAuth): Template {
  const stack = new CentralStack(new App(), 'Central', {
    policy: DEFAULT_POLICY,
    managedAlarmNames: ['high-cpu-alarm'],
    env: { account: '123456789012', region: 'ap-northeast-1' },
    service: { temporalAuth, policyPathInImage: '/app/policy.yaml' },
  });
  return Template.fromStack(stack);
}

type Container = {
  Command: string[];
  Environment: Array<{ Name: string; Value: unknown }>;
  Secrets: Array<{ Name: string; ValueFrom: unknown }>;
};
type TaskDefinition = { Properties: { TaskRoleArn: unknown; ContainerDefinitions: Container[] } };

function containers(t: Template): Record<string, { role: string; container: Container }> {
  return Object.fromEntries(
    Object.values(t.findResources('AWS::ECS::TaskDefinition')).map((r) => {
      const task = r as TaskDefinition;
      const container = task.Properties.ContainerDefinitions[0] as Container;
      return [container.Command[0], { role: JSON.stringify(task.Properties.TaskRoleArn), container }];
    }),
  );
}

const apiKey = synth('api-key');

it('runs `worker` and `ingest` as two Fargate services, each under its own role', () => {
  apiKey.resourceCountIs('AWS::ECS::Service', 2);
  apiKey.hasResourceProperties('AWS::ECS::Service', {
    LaunchType: 'FARGATE',
    DesiredCount: { Ref: 'WorkerCount' },
    DeploymentConfiguration: Match.objectLike({ DeploymentCircuitBreaker: { Enable: true, Rollback: true } }),
  });
  const byCommand = containers(apiKey);
  expect(Object.keys(byCommand).sort()).toEqual(['ingest', 'worker']);
  expect(byCommand.worker?.role).toMatch(/WorkerRole/);
  expect(byCommand.ingest?.role).toMatch(/IngestRole/);
  const env = (c: Container | undefined) =>
    Object.fromEntries((c?.Environment ?? []).map((e) => [e.Name, e.Value]));
  expect(Object.keys(env(byCommand.worker?.container)).sort()).toEqual(
    [
      'AUDIT_BUCKET',
      'AWS_REGION',
      'METRICS_EMF',
      'NOTIFY_TOPIC_ARN',
      'ONCALL_TOPIC_ARN',
      'REMEDIATION_POLICY',
      'TEMPORAL_ADDRESS',
      'TEMPORAL_NAMESPACE',
      'TEMPORAL_TLS',
      'TEMPORAL_UI_URL',
    ].sort(),
  );
  // Both write their metrics as EMF lines too, for the CloudWatch dashboard (docs/dashboards.md).
  expect(env(byCommand.worker?.container)).toMatchObject({ METRICS_EMF: 'true' });
  expect(env(byCommand.ingest?.container)).toMatchObject({
    METRICS_EMF: 'true',
    INGEST_QUEUE_URL: { Ref: expect.stringMatching(/^IngestQueue/) },
    TEMPORAL_ADDRESS: { Ref: 'TemporalAddress' },
    TEMPORAL_NAMESPACE: { Ref: 'TemporalNamespace' },
  });
});

it('hands the API key from Secrets Manager as TEMPORAL_API_KEY, never as a plain variable', () => {
  for (const { container } of Object.values(containers(apiKey))) {
    expect(container.Secrets).toEqual([
      { Name: 'TEMPORAL_API_KEY', ValueFrom: { Ref: 'TemporalApiKeySecretArn' } },
    ]);
    expect(container.Environment.map((e) => e.Name)).not.toContain('TEMPORAL_API_KEY');
  }
  apiKey.hasParameter('TemporalApiKeySecretArn', {
    AllowedPattern: Match.stringLikeRegexp('secretsmanager'),
  });
  // The execution role may read that secret only.
  apiKey.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          Resource: { Ref: 'TemporalApiKeySecretArn' },
        }),
      ]),
    },
  });
});

it('hands an mTLS certificate and key as the envconfig data variables', () => {
  const mtls = synth('mtls');
  for (const { container } of Object.values(containers(mtls))) {
    expect(container.Secrets.map((s) => s.Name).sort()).toEqual([
      'TEMPORAL_TLS_CLIENT_CERT_DATA',
      'TEMPORAL_TLS_CLIENT_KEY_DATA',
    ]);
  }
  expect(Object.keys((mtls.toJSON() as { Parameters: object }).Parameters)).not.toContain(
    'TemporalApiKeySecretArn',
  );
});

it('lets the tasks reach only HTTPS and the Temporal port, with nothing inbound', () => {
  apiKey.hasResourceProperties('AWS::EC2::SecurityGroup', {
    GroupDescription: Match.stringLikeRegexp('^remediator tasks'),
    SecurityGroupEgress: [Match.objectLike({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 })],
  });
  // The Temporal port is a parameter, so CDK writes its rule as a resource of its own.
  apiKey.resourceCountIs('AWS::EC2::SecurityGroupEgress', 1);
  apiKey.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
    IpProtocol: 'tcp',
    FromPort: { Ref: 'TemporalPort' },
    ToPort: { Ref: 'TemporalPort' },
  });
  const groups = Object.values(apiKey.findResources('AWS::EC2::SecurityGroup')) as Array<{
    Properties: { GroupDescription: string; SecurityGroupIngress?: unknown };
  }>;
  const tasks = groups.find((g) => g.Properties.GroupDescription.startsWith('remediator tasks'));
  expect(tasks?.Properties.SecurityGroupIngress).toBeUndefined();
});

it('creates no service unless asked', () => {
  const plain = Template.fromStack(
    new CentralStack(new App(), 'Plain', { policy: DEFAULT_POLICY, managedAlarmNames: [] }),
  );
  plain.resourceCountIs('AWS::ECS::Service', 0);
  expect(Object.keys((plain.toJSON() as { Parameters: object }).Parameters)).not.toContain('TemporalAddress');
});
