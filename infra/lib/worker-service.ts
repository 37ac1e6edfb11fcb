/**
 * Optional ECS Fargate services running `remediator worker` and `remediator ingest` from the image, each with its own
 * task role (the bridge cannot remediate, the worker cannot read the queue). The Temporal connection is parameters:
 * address, namespace, and an API key or an mTLS certificate and key from Secrets Manager, handed to the containers
 * as the variables `@temporalio/envconfig` reads. Egress is limited to HTTPS (AWS APIs) and the Temporal port.
 */
import { CfnParameter, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** How the containers authenticate to Temporal (Temporal Cloud takes either; a self-hosted cluster may take mTLS). */
export type TemporalAuth = 'api-key' | 'mtls';

/** What the services run with. */
export interface WorkerServiceProps {
  readonly temporalAuth: TemporalAuth;
  readonly workerRole: iam.IRole;
  readonly ingestRole: iam.IRole;
  /** The worker's and the bridge's non-secret settings (queue URLs, topic ARNs, bucket). */
  readonly workerEnvironment: Record<string, string>;
  readonly ingestEnvironment: Record<string, string>;
  /** An existing VPC with private subnets that reach the internet; otherwise a two-AZ VPC with one NAT gateway. */
  readonly vpc?: ec2.IVpc;
  /** A policy file baked into the image (sets `REMEDIATION_POLICY`); the built-in seed policy otherwise. */
  readonly policyPathInImage?: string;
}

/** The cluster and the two services. */
export class WorkerService extends Construct {
  readonly worker: ecs.FargateService;
  readonly ingest: ecs.FargateService;

  constructor(scope: Construct, id: string, props: WorkerServiceProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const param = (
      name: string,
      description: string,
      extra: Partial<ConstructorParameters<typeof CfnParameter>[2]> = {},
    ) => new CfnParameter(stack, name, { type: 'String', description, ...extra });
    const image = param(
      'WorkerImage',
      'The remediator image (e.g. <account>.dkr.ecr.<region>.amazonaws.com/remediator:<tag>).',
      {
        minLength: 1,
      },
    );
    const address = param(
      'TemporalAddress',
      'Temporal frontend host:port (Temporal Cloud: <ns>.<acct>.tmprl.cloud:7233 for mTLS, <region>.<cloud>.api.temporal.io:7233 for API keys).',
      {
        allowedPattern: '^[A-Za-z0-9.-]+:[0-9]{2,5}$',
      },
    );
    const namespace = param(
      'TemporalNamespace',
      'Temporal namespace (Temporal Cloud: <namespace>.<account id>).',
      {
        allowedPattern: '^[A-Za-z0-9._-]+$',
      },
    );
    const port = new CfnParameter(stack, 'TemporalPort', {
      type: 'Number',
      default: 7233,
      description: 'Port the containers may reach Temporal on (egress rule).',
    });
    const uiUrl = param('TemporalUiUrl', 'Base URL of the Temporal Web UI for links in notifications.', {
      default: 'https://cloud.temporal.io',
    });
    const workerCount = new CfnParameter(stack, 'WorkerCount', {
      type: 'Number',
      default: 2,
      minValue: 1,
      description: 'Worker tasks (two survive the loss of one: Temporal resumes what it was doing).',
    });

    const secretArn = (name: string, what: string) =>
      secretsmanager.Secret.fromSecretCompleteArn(
        this,
        name,
        param(`${name}Arn`, `ARN of the Secrets Manager secret holding ${what}.`, {
          allowedPattern: '^arn:aws[a-z-]*:secretsmanager:.+$',
        }).valueAsString,
      );
    Validations.of(stack).acknowledge({
      id: 'CloudFormation-Validate::W2509',
      reason:
        'The *SecretArn parameters name a Secrets Manager secret; they are not the secret (NoEcho would hide which).',
    });
    // Secret values reach the containers as the variables envconfig reads; they never appear in the template.
    const temporalSecrets: Record<string, ecs.Secret> =
      props.temporalAuth === 'api-key'
        ? {
            TEMPORAL_API_KEY: ecs.Secret.fromSecretsManager(
              secretArn('TemporalApiKeySecret', 'the Temporal API key'),
            ),
          }
        : {
            TEMPORAL_TLS_CLIENT_CERT_DATA: ecs.Secret.fromSecretsManager(
              secretArn('TemporalTlsCertSecret', 'the client certificate (PEM)'),
            ),
            TEMPORAL_TLS_CLIENT_KEY_DATA: ecs.Secret.fromSecretsManager(
              secretArn('TemporalTlsKeySecret', 'the client private key (PEM)'),
            ),
          };
    const temporalEnvironment = {
      TEMPORAL_ADDRESS: address.valueAsString,
      TEMPORAL_NAMESPACE: namespace.valueAsString,
      TEMPORAL_TLS: 'true',
      TEMPORAL_UI_URL: uiUrl.valueAsString,
      AWS_REGION: stack.region,
      // The metrics also go out as EMF lines on stdout; the awslogs driver carries them to CloudWatch Logs, which
      // extracts the metrics the dashboard shows (docs/dashboards.md). No permission beyond writing the logs.
      METRICS_EMF: 'true',
      ...(props.policyPathInImage ? { REMEDIATION_POLICY: props.policyPathInImage } : {}),
    };

    const vpc = props.vpc ?? this.createVpc();
    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    const securityGroup = new ec2.SecurityGroup(this, 'TasksSecurityGroup', {
      vpc,
      allowAllOutbound: false,
      description: 'remediator tasks: HTTPS to AWS APIs and the Temporal frontend only; nothing inbound',
    });
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs');
    securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      new ec2.Port({
        protocol: ec2.Protocol.TCP,
        fromPort: port.valueAsNumber,
        toPort: port.valueAsNumber,
        stringRepresentation: 'temporal',
      }),
      'Temporal frontend',
    );
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const service = (
      name: 'Worker' | 'Ingest',
      command: string,
      role: iam.IRole,
      environment: Record<string, string>,
      desiredCount: number,
      size: { cpu: number; memoryLimitMiB: number },
    ): ecs.FargateService => {
      const task = new ecs.FargateTaskDefinition(this, `${name}Task`, { ...size, taskRole: role });
      task.addContainer(name, {
        image: ecs.ContainerImage.fromRegistry(image.valueAsString),
        command: [command],
        environment: { ...temporalEnvironment, ...environment },
        secrets: temporalSecrets,
        readonlyRootFilesystem: true,
        logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: command }),
        // SIGTERM lets in-flight activities finish (the worker's graceful shutdown) before SIGKILL.
        stopTimeout: Duration.seconds(120),
      });
      Validations.of(task).acknowledge({
        id: 'AwsSolutions::AwsSolutions-ECS2',
        reason:
          'Only non-secret settings (addresses, queue URLs, topic ARNs) are environment variables; the Temporal ' +
          'credentials come from Secrets Manager.',
      });
      return new ecs.FargateService(this, `${name}Service`, {
        cluster,
        taskDefinition: task,
        desiredCount,
        securityGroups: [securityGroup],
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        circuitBreaker: { rollback: true },
        minHealthyPercent: 100,
      });
    };
    this.worker = service(
      'Worker',
      'worker',
      props.workerRole,
      props.workerEnvironment,
      workerCount.valueAsNumber,
      {
        cpu: 512,
        memoryLimitMiB: 1024,
      },
    );
    this.ingest = service('Ingest', 'ingest', props.ingestRole, props.ingestEnvironment, 1, {
      cpu: 256,
      memoryLimitMiB: 512,
    });
  }

  private createVpc(): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'tasks', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ],
    });
    vpc.addFlowLog('FlowLog', { trafficType: ec2.FlowLogTrafficType.REJECT });
    return vpc;
  }
}
