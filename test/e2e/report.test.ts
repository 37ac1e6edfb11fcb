/**
 * `remediator report` end to end: real remediations on the suite's Temporal dev server and moto (a fix, an approved
 * fix, a rejection, an approval that times out into an escalation, an operator rollback through the CLI), then the
 * `report` command as a child process against that server: the table, `--json` and `--html`. The expected numbers
 * come from the executions themselves (results and `status` queries), not from the report's code.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from '@temporalio/worker';
import { remediationWorkflowId } from '../../src/domain/finding';
import type { Outcome, RemediationResult } from '../../src/domain/remediation';
import { windowQuery } from '../../src/report/collect';
import type { Report } from '../../src/report/summarise';
import { approvalUpdate, statusQuery } from '../../src/workflows/definitions';
import { createBucket } from '../helpers/aws';
import { remediator } from '../helpers/cli-process';
import { fastSettings, s3Finding } from '../helpers/fixtures';
import { parseHtml } from '../helpers/html';
import { dispatcherWith, LOCAL_TRUST } from '../helpers/worker-policies';
import { startWorkflowStack } from '../helpers/workflow-stack';
import type { WorkflowStack } from '../helpers/workflow-stack';

const AUTO = 'report-auto';
const APPROVE = 'report-approve';

let stack: WorkflowStack;
const workers: { worker: Worker; run: Promise<void> }[] = [];

beforeAll(async () => {
  stack = await startWorkflowStack();
});
afterAll(async () => {
  for (const w of workers) w.worker.shutdown();
  await Promise.all(workers.map((w) => w.run));
  await stack?.stop();
});

function cliEnv(): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: stack.env.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: AUTO,
    AWS_REGION: 'ap-northeast-1',
    AWS_ENDPOINT_URL: stack.moto.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  };
}

async function startWorker(taskQueue: string): Promise<void> {
  const worker = await stack.worker(taskQueue, stack.activities());
  workers.push({ worker, run: worker.run() });
}

/** Polls `fn` every 100 ms until it returns something, for at most `ms`. */
async function eventually<T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Time to remediate of one outcome as docs/report.md defines it. */
const ttr = (o: Outcome): number =>
  Date.parse(o.verification?.at ?? o.finishedAt) - Date.parse(o.finding.observedAt);

it('reports real remediations, approvals, an escalation and a rollback as a table, JSON and a self-contained page', async () => {
  // Prepare: a queue that fixes at once (short cool-down, so its run completes) and one that asks for approval (long
  // cool-down, so its runs still run when the report is made and are read through their status query).
  const auto = dispatcherWith(stack.env.client, AUTO, fastSettings({}, 500), LOCAL_TRUST);
  const approve = dispatcherWith(
    stack.env.client,
    APPROVE,
    fastSettings({ mode: 'approve', approvalTimeoutMs: 5000 }, 120_000),
    LOCAL_TRUST,
  );
  await startWorker(AUTO);
  await startWorker(APPROVE);
  const stamp = Date.now();
  const buckets = ['fixed', 'approved', 'rejected', 'unanswered'].map((b) => `report-${b}-${stamp}`);
  for (const b of buckets) await createBucket(stack.raw.s3, b);
  const findings = buckets.map((b, i) =>
    s3Finding(b, { observedAt: new Date(Date.now() - (i + 1) * 20_000).toISOString() }),
  );
  const [fixed, approved, rejected, unanswered] = findings.map((f) =>
    stack.env.client.workflow.getHandle(remediationWorkflowId(f.resource)),
  ) as [
    ReturnType<typeof stack.env.client.workflow.getHandle>,
    ...ReturnType<typeof stack.env.client.workflow.getHandle>[],
  ];

  // Act: the four remediations, two decisions, a timeout, and a rollback of the first fix through the CLI.
  await auto.start({ finding: findings[0]!, playbook: 's3-block-public-access' });
  for (const f of findings.slice(1)) await approve.start({ finding: f, playbook: 's3-block-public-access' });
  const fixedResult: RemediationResult = await fixed.result();
  for (const [handle, decision] of [
    [approved!, 'approve'],
    [rejected!, 'reject'],
  ] as const) {
    await eventually(
      'the approval request',
      30_000,
      async () => (await handle.query(statusQuery)).awaitingApproval,
    );
    await handle.executeUpdate(approvalUpdate, {
      args: [{ decision, reason: `report e2e: ${decision}`, by: 'report-tester' }],
    });
  }
  const snapshotOutcome = (handle: typeof approved) =>
    eventually('an outcome', 30_000, async () => (await handle!.query(statusQuery)).outcomes[0]);
  const [approvedOutcome, rejectedOutcome, unansweredOutcome] = await Promise.all(
    [approved, rejected, unanswered].map(snapshotOutcome),
  );
  const rollback = remediator(
    ['rollback', fixed.workflowId, '--reason', 'report e2e rollback', '--exempt-for', '1h'],
    cliEnv(),
  );
  expect(await rollback.exited).toBe(0);
  // Visibility lists the five runs (four remediations, one rollback) shortly after they start.
  await eventually('visibility', 30_000, async () => {
    let n = 0;
    for await (const e of stack.env.client.workflow.list({ query: windowQuery(new Date(stamp - 60_000)) })) {
      n += e.workflowId ? 1 : 0;
    }
    return n === 5 ? n : undefined;
  });

  const dir = mkdtempSync(join(tmpdir(), 'report-e2e-'));
  const htmlPath = join(dir, 'nested', 'report.html');
  const text = remediator(['report', '--since', '1h'], cliEnv());
  const json = remediator(['report', '--since', '1h', '--json', '--html', htmlPath], cliEnv());
  const bad = remediator(['report', '--since', '7x'], cliEnv());
  const help = remediator(['report', '--help'], {});
  const codes = await Promise.all([text.exited, json.exited, bad.exited, help.exited]);

  // Assess
  expect(codes).toEqual([0, 0, 2, 0]);
  expect(fixedResult.outcomes[0]?.status).toBe('REMEDIATED');
  expect([approvedOutcome?.status, rejectedOutcome?.status, unansweredOutcome?.status]).toEqual([
    'REMEDIATED',
    'REJECTED',
    'ESCALATED',
  ]);
  const jsonOut = json.output();
  const report = JSON.parse(jsonOut.slice(0, jsonOut.lastIndexOf('}') + 1)) as Report;
  expect(report.schema).toBe('remediator.report/v1');
  expect(report.totals).toEqual({
    outcomes: 4,
    resources: 4,
    byStatus: {
      REMEDIATED: 2,
      ESCALATED: 1,
      ROLLED_BACK: 0,
      EXEMPT: 0,
      DRY_RUN: 0,
      REJECTED: 1,
      NO_ACTION: 0,
      CANCELLED: 0,
    },
    rollbacks: 1,
  });
  const fixes = [ttr(fixedResult.outcomes[0]!), ttr(approvedOutcome!)].sort((a, b) => a - b);
  expect(report.playbooks).toHaveLength(1);
  expect(report.playbooks[0]).toMatchObject({
    playbook: 's3-block-public-access',
    outcomes: 4,
    rolledBackByOperator: 1,
    mttr: { count: 2, p50Ms: fixes[0], p90Ms: fixes[1], minMs: fixes[0], maxMs: fixes[1] },
  });
  expect(report.escalations.total).toBe(1);
  expect(report.escalations.byReason.map((g) => [g.code, g.count])).toEqual([['ApprovalTimeout', 1]]);
  expect(report.escalations.byReason[0]?.examples[0]?.reason).toBe(unansweredOutcome?.escalation?.reason);
  expect(report.approvals).toMatchObject({
    decided: 2,
    approved: 1,
    rejected: 1,
    byDecider: [{ by: approvedOutcome?.approval?.by, approved: 1, rejected: 1 }],
  });
  expect(approvedOutcome?.approval?.by).toContain('report-tester');
  expect(report.rollbacks.total).toBe(1);
  expect(report.rollbacks.items[0]).toMatchObject({
    status: 'ROLLED_BACK',
    playbook: 's3-block-public-access',
    resourceId: buckets[0],
    target: { workflowId: fixed.workflowId },
    requestedReason: 'report e2e rollback',
  });
  expect(report.topAccounts).toEqual([{ account: '123456789012', outcomes: 4, remediated: 2, escalated: 1 }]);
  // Five runs read; the three approval runs still cool down, and their status queries answered.
  expect(report.sources).toEqual({ runs: 5, executions: 5, queried: 3, warnings: [] });
  expect(jsonOut).toContain(`Wrote the HTML report to ${htmlPath}`);

  expect(text.output()).toContain('Outcomes: 4 on 4 resources; operator rollbacks: 1');
  expect(text.output()).toMatch(/\n {2}s3-block-public-access +4 +2 +1 +1 +0 +0 +0 +1 /);
  expect(text.output()).toContain(`Approvals decided: 2 (approved 1, rejected 1)`);
  expect(bad.output()).toContain("--since '7x' is not a duration");
  expect(help.output()).toContain('--since <duration>');

  expect(existsSync(htmlPath)).toBe(true);
  const page = parseHtml(readFileSync(htmlPath, 'utf8'));
  const ids = page.elements.filter((e) => e.name === 'svg').map((e) => e.attributes['id']);
  expect(ids).toEqual(['chart-outcomes', 'chart-mttr', 'chart-escalations']);
  for (const e of page.elements) {
    expect(e.attributes['src'] ?? '').not.toMatch(/^\s*(https?:)?\/\//i);
    expect(e.attributes['href'] ?? '').not.toMatch(/^\s*(https?:)?\/\//i);
  }
  expect(page.text).toContain(buckets[0]);
});
