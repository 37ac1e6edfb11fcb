import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  DEFAULT_MAX_CACHED_WORKFLOWS,
  loadIngestConfig,
  loadTicketSinkConfig,
  loadWorkerConfig,
} from '../../src/config';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { loadPolicy, PolicyError } from '../../src/policy/load-policy';

const WORKER_ENV = {
  AWS_REGION: 'eu-west-1',
  NOTIFY_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:notify',
  ONCALL_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:oncall',
};

describe('loadWorkerConfig', () => {
  it('reads a complete environment with defaults', () => {
    expect(loadWorkerConfig(WORKER_ENV)).toEqual({
      ...{ region: 'eu-west-1', taskQueue: 'remediation', temporalUiUrl: 'http://localhost:8233' },
      notifyTopicArn: WORKER_ENV.NOTIFY_TOPIC_ARN,
      oncallTopicArn: WORKER_ENV.ONCALL_TOPIC_ARN,
      maxCachedWorkflows: DEFAULT_MAX_CACHED_WORKFLOWS,
    });
  });

  it('bounds the sticky cache by WORKER_MAX_CACHED_WORKFLOWS', () => {
    expect(loadWorkerConfig({ ...WORKER_ENV, WORKER_MAX_CACHED_WORKFLOWS: '2000' }).maxCachedWorkflows).toBe(
      2000,
    );
  });

  it.each([
    [{ ...WORKER_ENV, NOTIFY_TOPIC_ARN: undefined }, /NOTIFY_TOPIC_ARN is not set/],
    [{ ...WORKER_ENV, ONCALL_TOPIC_ARN: 'oncall' }, /ONCALL_TOPIC_ARN must be an SNS topic ARN/],
    [{ ...WORKER_ENV, AWS_REGION: undefined }, /AWS_REGION is not set/],
    [{ ...WORKER_ENV, AUDIT_BUCKET: 'Not_A_Bucket' }, /AUDIT_BUCKET is not a valid S3 bucket name/],
    [{ ...WORKER_ENV, AWS_ENDPOINT_URL: 'localhost:5000' }, /AWS_ENDPOINT_URL must be an http\(s\) URL/],
    [
      { ...WORKER_ENV, WORKER_MAX_CACHED_WORKFLOWS: '0' },
      /WORKER_MAX_CACHED_WORKFLOWS must be an integer from 1/,
    ],
    [
      { ...WORKER_ENV, WORKER_MAX_CACHED_WORKFLOWS: 'lots' },
      /WORKER_MAX_CACHED_WORKFLOWS must be an integer/,
    ],
  ])('fails naming the variable (%#)', (env, message) => {
    expect(() => loadWorkerConfig(env)).toThrow(ConfigError);
    expect(() => loadWorkerConfig(env)).toThrow(message);
  });
});

describe('loadIngestConfig', () => {
  it('requires INGEST_QUEUE_URL and bounds the numbers', () => {
    expect(() => loadIngestConfig({ AWS_REGION: 'eu-west-1' })).toThrow(/INGEST_QUEUE_URL is not set/);
    expect(() =>
      loadIngestConfig({
        AWS_REGION: 'eu-west-1',
        INGEST_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/q',
        INGEST_WAIT_TIME_SECONDS: '30',
      }),
    ).toThrow(/INGEST_WAIT_TIME_SECONDS must be an integer from 0 to 20/);
  });
});

describe('loadPolicy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'policy-'));

  it('returns the built-in seed policy without a file', () => {
    expect(loadPolicy(undefined)).toBe(DEFAULT_POLICY);
    expect(DEFAULT_POLICY.defaults.retry).toEqual({
      initialIntervalMs: 30_000,
      backoffCoefficient: 2,
      maximumAttempts: 4,
      maximumIntervalMs: 300_000,
    });
  });

  it('reads a YAML policy', () => {
    const path = join(dir, 'ok.yaml');
    writeFileSync(
      path,
      [
        'version: 1',
        'cooldownMs: 60000',
        'routes: [{ source: aws.config, controls: [s3-bucket-public-read-prohibited], playbook: s3-block-public-access }]',
        'defaults: { mode: dryRun, propagationWaitMs: 0, activityTimeoutMs: 30000,',
        '  retry: { initialIntervalMs: 1000, backoffCoefficient: 2, maximumAttempts: 3, maximumIntervalMs: 10000 } }',
      ].join('\n'),
    );
    expect(loadPolicy(path)).toMatchObject({
      cooldownMs: 60000,
      defaults: { mode: 'dryRun' },
      playbooks: {},
    });
  });

  it('names the offending field of an invalid policy', () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(
      path,
      JSON.stringify({
        ...DEFAULT_POLICY,
        routes: [{ source: 'aws.config', controls: ['x'], playbook: 'nope' }],
      }),
    );
    expect(() => loadPolicy(path)).toThrow(PolicyError);
    expect(() => loadPolicy(path)).toThrow(/routes\.0\.playbook/);
  });

  it('names the variable when the file cannot be read', () => {
    expect(() => loadPolicy(join(dir, 'missing.yaml'))).toThrow(/REMEDIATION_POLICY: cannot read/);
  });
});

describe('loadTicketSinkConfig', () => {
  it('is the audit trail alone by default, and names what a chosen sink misses', () => {
    expect(loadTicketSinkConfig({})).toBeUndefined();
    expect(() => loadTicketSinkConfig({ TICKET_SINK: 'email' })).toThrow(
      /TICKET_SINK must be audit, sns, webhook or jira/,
    );
    expect(() =>
      loadTicketSinkConfig({ TICKET_SINK: 'webhook', TICKET_WEBHOOK_URL: 'https://h.example/t' }),
    ).toThrow(/TICKET_WEBHOOK_SECRET is not set/);
    expect(() =>
      loadTicketSinkConfig({
        TICKET_SINK: 'webhook',
        TICKET_WEBHOOK_URL: 'https://h.example/t',
        TICKET_WEBHOOK_SECRET: 'short',
      }),
    ).toThrow(/at least 16 characters/);
    expect(() => loadTicketSinkConfig({ TICKET_SINK: 'jira', JIRA_PROJECT_KEY: 'sec' })).toThrow(
      /JIRA_PROJECT_KEY must be/,
    );
    expect(
      loadTicketSinkConfig({
        TICKET_SINK: 'jira',
        JIRA_BASE_URL: 'https://acme.atlassian.net',
        JIRA_EMAIL: 'bot@acme.example',
        JIRA_API_TOKEN: 't',
        JIRA_PROJECT_KEY: 'SEC',
      }),
    ).toMatchObject({ kind: 'jira', issueType: 'Task' });
  });
});
