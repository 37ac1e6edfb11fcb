/**
 * The sweep: resources already NON_COMPLIANT before any event go through the ingest path and are remediated for real
 * (dev server + moto). moto lacks Config's compliance queries, so DescribeConfigRules and
 * GetComplianceDetailsByConfigRule are served by a minimal local stand-in of Config's JSON protocol (with paging).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { GetPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { AwsClients } from '../../src/aws/clients';
import { remediationWorkflowId } from '../../src/domain/finding';
import { ConfigRuleResolver, configFindingEnricher } from '../../src/ingest/config-rule-resolver';
import { createSweepActivities } from '../../src/activities/sweep';
import { scheduleSweep, sweepScheduleId, unscheduleSweep } from '../../src/commands/sweep';
import { formatSweep, sweep } from '../../src/ingest/sweep';
import type { Logger } from '../../src/logger';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { createBucket, FIXTURE_ACCOUNT, FIXTURE_REGION, TEST_CREDENTIALS } from '../helpers/aws';
import { fastSettings, s3Finding } from '../helpers/fixtures';
import { startWorkflowStack } from '../helpers/workflow-stack';
import type { WorkflowStack } from '../helpers/workflow-stack';
import { dispatcherWith } from '../helpers/worker-policies';

let stack: WorkflowStack;
let server: Server;
let endpoint: string;
const buckets = [`sweep-${randomUUID().slice(0, 8)}`, `sweep-${randomUUID().slice(0, 8)}`];

const RULES = [
  {
    ConfigRuleName: 's3-bucket-public-read-prohibited',
    Source: { Owner: 'AWS', SourceIdentifier: 'S3_BUCKET_PUBLIC_READ_PROHIBITED' },
  },
  {
    ConfigRuleName: 'org-tagging-standard',
    Source: { Owner: 'CUSTOM_LAMBDA', SourceIdentifier: 'arn:aws:lambda:x' },
  },
];
const NON_COMPLIANT: Record<string, Array<{ type: string; id: string }>> = {
  's3-bucket-public-read-prohibited': buckets.map((id) => ({ type: 'AWS::S3::Bucket', id })),
  'org-tagging-standard': [{ type: 'AWS::EC2::Instance', id: 'i-0123456789abcdef0' }],
};

beforeAll(async () => {
  stack = await startWorkflowStack();
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const input = JSON.parse(body || '{}') as {
        ConfigRuleNames?: string[];
        ConfigRuleName?: string;
        NextToken?: string;
      };
      const target = String(req.headers['x-amz-target']);
      const json = (value: unknown) =>
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(value));
      if (target === 'StarlingDoveService.DescribeConfigRules') {
        const names = input.ConfigRuleNames;
        return json({ ConfigRules: RULES.filter((r) => !names || names.includes(r.ConfigRuleName)) });
      }
      if (target === 'StarlingDoveService.GetComplianceDetailsByConfigRule') {
        // One result per page, to exercise paging.
        const all = NON_COMPLIANT[input.ConfigRuleName ?? ''] ?? [];
        const index = Number(input.NextToken ?? '0');
        const r = all[index];
        return json({
          EvaluationResults: r
            ? [
                {
                  EvaluationResultIdentifier: {
                    EvaluationResultQualifier: {
                      ConfigRuleName: input.ConfigRuleName,
                      ResourceType: r.type,
                      ResourceId: r.id,
                    },
                  },
                  ComplianceType: 'NON_COMPLIANT',
                  ResultRecordedTime: 1764400000,
                },
              ]
            : [],
          ...(index + 1 < all.length ? { NextToken: String(index + 1) } : {}),
        });
      }
      res
        .writeHead(400, { 'content-type': 'application/x-amz-json-1.1' })
        .end(JSON.stringify({ __type: 'UnknownOperation' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await stack?.stop();
});

function sweepParts() {
  const clients = new AwsClients({ endpoint, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  const config = new ConfigServiceClient({ endpoint, region: FIXTURE_REGION, credentials: TEST_CREDENTIALS });
  const silent: Logger = {
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    debug: () => undefined,
  };
  return { clients, config, enrich: configFindingEnricher(new ConfigRuleResolver(clients, silent)) };
}

it('a dry run lists what it would start and changes nothing', async () => {
  const { clients, config, enrich } = sweepParts();

  const report = await sweep({
    config,
    account: FIXTURE_ACCOUNT,
    region: FIXTURE_REGION,
    policy: DEFAULT_POLICY,
    enrich,
  });

  expect(report.rulesChecked).toBe(2);
  expect(report.items.map((i) => [i.action, i.resourceId])).toEqual([
    ['would start', buckets[0]],
    ['would start', buckets[1]],
    ['skipped', 'i-0123456789abcdef0'],
  ]);
  expect(formatSweep(report)).toMatch(
    /^Swept 2 Config rule\(s\): 3 non-compliant resource\(s\), 2 sent to a playbook, 1 skipped\.\n {2}would start +s3-block-public-access AWS::S3::Bucket sweep-/,
  );
  expect(report.items[2]?.reason).toBe("no playbook for aws.config control 'org-tagging-standard'");
  clients.destroy();
  config.destroy();
});

it('remediates resources that were non-compliant before any event, through the ingest path', async () => {
  for (const b of buckets) await createBucket(stack.raw.s3, b);
  const { clients, config, enrich } = sweepParts();
  const taskQueue = `q-${randomUUID()}`;
  const worker = await stack.worker(taskQueue, stack.activities());
  const dispatcher = dispatcherWith(stack.env.client, taskQueue, fastSettings({}, 300));

  const statuses = await worker.runUntil(async () => {
    const report = await sweep({
      config,
      account: FIXTURE_ACCOUNT,
      region: FIXTURE_REGION,
      policy: DEFAULT_POLICY,
      enrich,
      dispatch: (finding, playbook) => dispatcher.start({ finding, playbook }),
    });
    expect(report.items.filter((i) => i.action === 'started')).toHaveLength(2);
    return Promise.all(
      buckets.map(async (b) => {
        const result = (await stack.env.client.workflow
          .getHandle(remediationWorkflowId(s3Finding(b).resource))
          .result()) as {
          status: string;
          outcomes: Array<{ finding: { eventId: string; details: Record<string, string> } }>;
        };
        return [
          result.status,
          result.outcomes[0]?.finding.eventId,
          result.outcomes[0]?.finding.details.managedControl,
        ];
      }),
    );
  });

  expect(statuses).toEqual(
    buckets.map((b) => [
      'REMEDIATED',
      expect.stringMatching(new RegExp(`^sweep-\\d{4}-\\d{2}-\\d{2}-s3-bucket-public-read-prohibited-${b}$`)),
      's3-bucket-public-read-prohibited',
    ]),
  );
  for (const b of buckets) {
    const block = await stack.raw.s3.send(new GetPublicAccessBlockCommand({ Bucket: b }));
    expect(block.PublicAccessBlockConfiguration?.BlockPublicAcls).toBe(true);
  }
  clients.destroy();
  config.destroy();
});

it('runs on a Temporal schedule on the worker (create, update, trigger, delete)', async () => {
  const { clients, config } = sweepParts();
  const taskQueue = `q-${randomUUID()}`;
  const worker = await stack.worker(taskQueue, {
    ...stack.activities(),
    // The sweep's Config calls go to the stand-in; the remediations it starts run against moto.
    ...createSweepActivities({
      clients,
      temporal: stack.env.client,
      policy: DEFAULT_POLICY,
      region: FIXTURE_REGION,
    }),
  });

  const { created, updated, interval, report, deleted, deletedAgain } = await worker.runUntil(async () => {
    const c = await scheduleSweep(stack.env.client, taskQueue, 6 * 3600_000, { account: FIXTURE_ACCOUNT });
    const u = await scheduleSweep(stack.env.client, taskQueue, 3600_000, { account: FIXTURE_ACCOUNT });
    const handle = stack.env.client.schedule.getHandle(sweepScheduleId(taskQueue));
    const every = (await handle.describe()).spec.intervals?.[0]?.every;
    await handle.trigger();
    let workflowId: string | undefined;
    for (let i = 0; i < 100 && !workflowId; i += 1) {
      workflowId = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
      if (!workflowId) await new Promise((r) => setTimeout(r, 100));
    }
    const text = (await stack.env.client.workflow.getHandle(workflowId ?? '').result()) as string;
    return {
      created: c,
      updated: u,
      interval: every,
      report: text,
      deleted: await unscheduleSweep(stack.env.client, taskQueue),
      deletedAgain: await unscheduleSweep(stack.env.client, taskQueue),
    };
  });

  expect(created).toBe(
    `Scheduled the sweep every 360 min (schedule remediation-sweep/${taskQueue}; the worker runs it).`,
  );
  expect(updated).toBe(`Updated the sweep schedule remediation-sweep/${taskQueue}: every 60 min.`);
  expect(interval).toBe(3600_000);
  expect(report).toMatch(
    /^Swept 2 Config rule\(s\): 3 non-compliant resource\(s\), 2 sent to a playbook, 1 skipped\./,
  );
  expect(deleted).toBe(`Deleted the sweep schedule remediation-sweep/${taskQueue}.`);
  expect(deletedAgain).toBe(`No sweep schedule remediation-sweep/${taskQueue} to delete.`);
  clients.destroy();
  config.destroy();
});
