/**
 * AWS client factory: one client per (service, account, region), created on first use and reused
 * (docs/architecture.md, Layers). Every client gets a low `maxAttempts` so SDK retries do not multiply Temporal's.
 * In other accounts each playbook family assumes its own role (`forFamily`, docs/deployment.md, Roles per playbook
 * family).
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { awsCallSpan } from '../telemetry/aws-call-span';
import type { AwsMiddleware } from '../telemetry/aws-call-span';
import { familyRoleName } from '../domain/role-families';
import type { RoleFamily } from '../domain/role-families';
import { assumedRoleProvider, homeAccountOf } from './assumed-role';
import type { CrossAccountOptions } from './assumed-role';

/** Options shared by every client the factory builds. */
export interface AwsClientOptions {
  /** Endpoint override (an emulator such as moto); unset for real AWS. */
  readonly endpoint?: string;
  /** SDK-level attempts per call; Temporal does the real retrying. */
  readonly maxAttempts?: number;
  /** Explicit credentials; unset means the default credential chain. */
  readonly credentials?: AwsCredentialIdentityProvider;
  /** Reach accounts other than the worker's own by assuming this role there. */
  readonly crossAccount?: CrossAccountOptions;
  /** Told of every call that failed (after the SDK's own attempts), with the service: the AWS error metric. */
  readonly onCallError?: (service: string, err: unknown) => void;
}

/** A cached client, with what eviction needs to know: calls in flight and when it was last looked up or used. */
interface CacheEntry {
  readonly client: { destroy(): void };
  readonly account: string;
  inFlight: number;
  lastUsedAt: number;
}

/** The part of every SDK v3 client this cache touches to count and trace its calls. */
interface CountableClient {
  destroy(): void;
  middlewareStack: {
    add(middleware: AwsMiddleware, options: { step: 'initialize'; name: string; priority: 'high' }): void;
  };
}

/** What a set and its family sets share: one STS client, one lookup of the worker's own account. */
interface SharedSts {
  sts?: STSClient;
  homeAccount?: () => Promise<string>;
}

/**
 * Builds and caches clients; clients of other accounts use that account's assumed-role credentials. The cache grows
 * with the accounts and regions findings name, so `evictIdle` closes clients nobody has used for a while; a client
 * with a call in flight is never closed (closing it would cut that call's socket). The family sets `forFamily` hands
 * out belong to this set: its `size`, `evictIdle` and `destroy` cover them.
 */
export class AwsClients {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly roles = new Map<string, AwsCredentialIdentityProvider>();
  private readonly families = new Map<RoleFamily, AwsClients>();
  private shared: SharedSts = {};
  /** The set this one was made from by `forFamily` (itself for a base set). */
  private base: AwsClients = this;

  constructor(private readonly options: AwsClientOptions = {}) {}

  /**
   * The clients a playbook family uses: in another account they assume that family's role there
   * (`RemediatorMemberRole-Network`, …); in the worker's own account they use its own credentials, as the base set
   * does. The detection family, or no cross-account access at all, is the base set itself. One set per family, kept.
   */
  forFamily(family: RoleFamily): AwsClients {
    if (this.base !== this) return this.base.forFamily(family);
    const cross = this.options.crossAccount;
    if (!cross) return this;
    const roleName = familyRoleName(cross.roleName, family);
    if (roleName === cross.roleName) return this;
    let set = this.families.get(family);
    if (!set) {
      set = new AwsClients({ ...this.options, crossAccount: { ...cross, roleName } });
      set.shared = this.shared;
      set.base = this;
      this.families.set(family, set);
    }
    return set;
  }

  /** S3 client for a bucket's account and region. */
  s3(account: string, region: string): S3Client {
    return this.get(
      's3',
      account,
      region,
      (config) => new S3Client({ ...config, forcePathStyle: !!this.options.endpoint }),
    );
  }

  /** EC2 client for an account and region. */
  ec2(account: string, region: string): EC2Client {
    return this.get('ec2', account, region, (config) => new EC2Client(config));
  }

  /** CloudWatch client for an account and region (metrics, alarms). */
  cloudwatch(account: string, region: string): CloudWatchClient {
    return this.get('cloudwatch', account, region, (config) => new CloudWatchClient(config));
  }

  /** AWS Config client for an account and region (rule lookups, re-evaluation). */
  config(account: string, region: string): ConfigServiceClient {
    return this.get('config', account, region, (c) => new ConfigServiceClient(c));
  }

  /** Auto Scaling client for an account and region. */
  autoscaling(account: string, region: string): AutoScalingClient {
    return this.get('autoscaling', account, region, (c) => new AutoScalingClient(c));
  }

  /** Elastic Load Balancing v2 client for an account and region (target groups). */
  elbv2(account: string, region: string): ElasticLoadBalancingV2Client {
    return this.get('elbv2', account, region, (c) => new ElasticLoadBalancingV2Client(c));
  }

  /** Security Hub client for an account and region (finding workflow updates). */
  securityhub(account: string, region: string): SecurityHubClient {
    return this.get('securityhub', account, region, (c) => new SecurityHubClient(c));
  }

  /** GuardDuty client for an account and region (reading a finding back before acting on it). */
  guardduty(account: string, region: string): GuardDutyClient {
    return this.get('guardduty', account, region, (c) => new GuardDutyClient(c));
  }

  /** IAM client (global service; region only picks the endpoint). */
  iam(account: string): IAMClient {
    return this.get('iam', account, 'us-east-1', (config) => new IAMClient(config));
  }

  /** SNS client for the worker's own topics. */
  sns(region: string): SNSClient {
    return this.get('sns', 'self', region, (config) => new SNSClient(config));
  }

  /** SQS client for the ingest queue. */
  sqs(region: string): SQSClient {
    return this.get('sqs', 'self', region, (config) => new SQSClient(config));
  }

  /**
   * Any AWS SDK v3 client for an account and region, cached, counted and evicted like the named ones (playbooks
   * built with the kit name the client class they need). Against an emulator, S3-style clients use path-style URLs.
   */
  client<C extends { destroy(): void }>(
    make: new (config: ClientConfig & EmulatorConfig) => C,
    account: string,
    region: string,
  ): C {
    return this.get(
      `class:${make.name}`,
      account,
      region,
      (config) =>
        new make({
          ...config,
          ...(this.options.endpoint ? emulatorConfig(make.name, this.options.endpoint) : {}),
        }),
    );
  }

  /** How many clients are cached, the family sets' included. */
  get size(): number {
    let size = this.cache.size;
    for (const set of this.families.values()) size += set.size;
    return size;
  }

  /**
   * Closes and forgets the clients of finding accounts with no call in flight that nobody has looked up or used for
   * `idleMs` or more, and the assumed-role credentials of accounts left with no client; returns how many clients.
   * A caller still holding one can go on using it (the SDK opens new sockets); the next lookup builds a fresh one.
   * The worker's own clients (`self`: its topics, queue and audit bucket) are a fixed few and some are held for the
   * worker's life (the SNS ticket sink), so they stay.
   */
  evictIdle(idleMs: number, now = Date.now()): number {
    let closed = 0;
    for (const set of this.families.values()) closed += set.evictIdle(idleMs, now);
    for (const [key, entry] of this.cache) {
      if (entry.account === 'self' || entry.inFlight > 0 || now - entry.lastUsedAt < idleMs) continue;
      this.cache.delete(key);
      entry.client.destroy();
      closed += 1;
    }
    const accounts = new Set([...this.cache.values()].map((e) => e.account));
    for (const account of this.roles.keys()) if (!accounts.has(account)) this.roles.delete(account);
    return closed;
  }

  /**
   * Closes every cached client's sockets, the family sets' too. The family sets stay this set's (a playbook holds
   * its own), so a later lookup through them is counted, evicted and destroyed here again. The STS client they share
   * is closed by the base set only.
   */
  destroy(): void {
    for (const entry of this.cache.values()) entry.client.destroy();
    this.cache.clear();
    for (const set of this.families.values()) set.destroy();
    if (this.base !== this) return;
    this.shared.sts?.destroy();
    this.shared.sts = undefined;
  }

  /**
   * Credentials for clients of `account`: the worker's own for its home account (and the `self` pseudo-account of
   * its topics and queues), the assumed member role elsewhere when cross-account access is configured.
   */
  private credentialsFor(account: string): AwsCredentialIdentityProvider | undefined {
    const cross = this.options.crossAccount;
    if (!cross || account === 'self') return this.options.credentials;
    this.shared.sts ??= new STSClient({
      region: 'us-east-1',
      maxAttempts: this.options.maxAttempts ?? 2,
      ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
      ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
    });
    const sts = this.shared.sts;
    this.shared.homeAccount ??= homeAccountOf(sts);
    const home = this.shared.homeAccount;
    let role = this.roles.get(account);
    if (!role) {
      role = assumedRoleProvider(sts, account, cross);
      this.roles.set(account, role);
    }
    const assumed = role;
    const own = this.options.credentials;
    return async () => {
      if ((await home()) !== account) return assumed();
      if (own) return own();
      // The default chain, as resolved for the STS client: what a client without explicit credentials would use.
      return sts.config.credentials();
    };
  }

  private get<T>(service: string, account: string, region: string, build: (config: ClientConfig) => T): T {
    const key = `${service}/${account}/${region}`;
    const cached = this.cache.get(key);
    if (cached) {
      // A lookup counts as use: the caller is about to send, so the client must not be closed in between.
      cached.lastUsedAt = Date.now();
      return cached.client as T;
    }
    const credentials = this.credentialsFor(account);
    const client = build({
      region,
      maxAttempts: this.options.maxAttempts ?? 2,
      ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
      ...(credentials ? { credentials } : {}),
    });
    // Every SDK v3 client has these; its own middleware typings are generic over its commands.
    const countable = client as unknown as CountableClient;
    const entry: CacheEntry = { client: countable, account, inFlight: 0, lastUsedAt: Date.now() };
    countable.middlewareStack.add(
      (next) => async (args) => {
        entry.inFlight += 1;
        try {
          return await next(args);
        } catch (err) {
          try {
            this.options.onCallError?.(service, err);
          } catch {
            // Counting must never replace the AWS error the retries classify.
          }
          throw err;
        } finally {
          entry.inFlight -= 1;
          entry.lastUsedAt = Date.now();
        }
      },
      { step: 'initialize', name: 'remediatorCallsInFlight', priority: 'high' },
    );
    // A span per call, so a trace reaches each AWS call an activity or the bridge makes
    // (docs/observability.md, Traces).
    countable.middlewareStack.add(awsCallSpan(region, account), {
      step: 'initialize',
      name: 'remediatorCallSpan',
      priority: 'high',
    });
    this.cache.set(key, entry);
    return client;
  }
}

/** What clients need besides the endpoint to talk to an emulator on 127.0.0.1. */
export interface EmulatorConfig {
  forcePathStyle?: boolean;
  endpointProvider?: () => { url: URL };
}

/**
 * An emulator's extra configuration for a client class: S3 path-style URLs; and for S3 Control, whose endpoint rules
 * put the account id in the host name (which 127.0.0.1 cannot take), the endpoint as it is (the account id still
 * travels in its header).
 */
export function emulatorConfig(clientClass: string, endpoint: string): EmulatorConfig {
  if (clientClass === 'S3ControlClient') return { endpointProvider: () => ({ url: new URL(endpoint) }) };
  return { forcePathStyle: true };
}

/** What every client is built with. */
export interface ClientConfig {
  region: string;
  maxAttempts: number;
  endpoint?: string;
  credentials?: AwsCredentialIdentityProvider;
}
