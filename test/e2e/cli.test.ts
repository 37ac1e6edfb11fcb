/**
 * The `remediator` processes as operators run them: `ingest` and `worker` against the real dev server and moto,
 * stopped with SIGTERM (exit 0), and refusing to start with a message naming what is wrong (exit 2).
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { join } from 'node:path';
import { GetPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { remediationWorkflowId } from '../../src/domain/finding';
import { RemediationStatusKey } from '../../src/domain/search-attributes';
import { hostname, userInfo } from 'node:os';
import { FindingDispatcher } from '../../src/ingest/dispatcher';
import { statusQuery } from '../../src/workflows/definitions';
import type { Outcome, RemediationResult } from '../../src/domain/remediation';
import { policyFile } from '../helpers/worker-policies';
import { createBucket, drainQueue } from '../helpers/aws';
import { freshFixtureText, s3Finding } from '../helpers/fixtures';
import { startWorkflowStack } from '../helpers/workflow-stack';
import type { WorkflowStack } from '../helpers/workflow-stack';
import { remediator, stackProcessEnv } from '../helpers/cli-process';

let stack: WorkflowStack;
beforeAll(async () => {
  stack = await startWorkflowStack();
});
afterAll(async () => {
  await stack?.stop();
});

/** The identity moto's STS reports for any signature: the decider of a signed decision on the emulator. */
const MOTO_ARN = 'arn:aws:sts::123456789012:user/moto';

function stackEnv(): Record<string, string> {
  return stackProcessEnv({
    address: stack.env.address,
    motoEndpoint: stack.moto.endpoint,
    resources: stack.resources,
    taskQueue: 'cli-test',
  });
}

it('worker and ingest remediate a queued event, then stop on SIGTERM with exit code 0', async () => {
  // Prepare: a policy without propagation wait and the fixture bucket.
  const policyPath = join(__dirname, '../../examples/policy-fast.yaml');
  await createBucket(stack.raw.s3, 'acme-marketing-assets');
  const env = { ...stackEnv(), REMEDIATION_POLICY: policyPath };
  const worker = remediator(['worker'], env);
  const ingest = remediator(['ingest'], env);

  // Act
  await stack.raw.sqs.send(
    new SendMessageCommand({
      QueueUrl: stack.resources.ingestQueueUrl,
      MessageBody: freshFixtureText('config-s3-bucket-public-read-noncompliant.json'),
    }),
  );
  const notes = await drainQueue(stack.raw.sqs, stack.resources.notifyInboxUrl, 1, 60_000);
  // `status` (queries need the worker up) shows the execution, cooling down, and lists it among the running ones.
  const workflowId = remediationWorkflowId(s3Finding('acme-marketing-assets').resource);
  // The SNS message can arrive before the workflow records its outcome and visibility catches up: wait for both.
  for (let i = 0; i < 100; i += 1) {
    const listed: string[] = [];
    for await (const e of stack.env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      listed.push(String(e.typedSearchAttributes.get(RemediationStatusKey)));
    }
    if (listed.includes('REMEDIATED')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const one = remediator(['status', workflowId], env);
  const all = remediator(['status'], env);
  const recent = remediator(
    ['status', '--recent', '1h', '--status', 'REMEDIATED', '--account', '123456789012'],
    env,
  );
  const none = remediator(['status', '--recent', '1h', '--playbook', 'asg-scale-out'], env);
  const bad = remediator(['status', '--account', 'me'], env);
  expect([
    await one.exited,
    await all.exited,
    await recent.exited,
    await none.exited,
    await bad.exited,
  ]).toEqual([0, 0, 0, 0, 2]);
  expect(recent.output()).toMatch(new RegExp(`^STATUS +PLAYBOOK +ACCOUNT +STARTED +WORKFLOW ID\nREMEDIATED`));
  expect(none.output()).toBe('No remediation matches.\n');
  expect(bad.output()).toContain("--account 'me' is not a 12-digit account id");
  expect(one.output()).toContain(
    'outcome:  REMEDIATED s3-block-public-access (s3-bucket-public-read-prohibited)',
  );
  expect(all.output()).toMatch(
    new RegExp(
      `REMEDIATED\\s+s3-block-public-access\\s+123456789012\\s+\\S+\\s+${workflowId.replace(/[/:]/g, '.')}`,
    ),
  );
  worker.kill('SIGTERM');
  ingest.kill('SIGTERM');
  const [workerCode, ingestCode] = await Promise.all([worker.exited, ingest.exited]);

  // Assess
  expect(notes.map((m) => JSON.parse(m.Body ?? '{}').Subject)).toContain(
    '[REMEDIATED] s3-block-public-access on acme-marketing-assets (123456789012/ap-northeast-1)',
  );
  const description = await stack.env.client.workflow
    .getHandle(remediationWorkflowId(s3Finding('acme-marketing-assets').resource))
    .describe();
  expect(description.taskQueue).toBe('cli-test');
  expect(ingest.output()).toContain('"message":"Finding delivered"');
  expect(ingest.output()).toContain('"message":"Ingest bridge stopped"');
  expect([workerCode, ingestCode]).toEqual([0, 0]);
});

it('approve/reject: status lists what waits, reject records the OS identity, refusals exit 2 with the reason', async () => {
  // Prepare: the CLI worker on its queue, and a remediation in 'approve' mode waiting for a decision.
  // The worker's own policy asks for approval (a workflow takes no settings from its input).
  const env = { ...stackEnv(), REMEDIATION_POLICY: policyFile({ mode: 'approve' }) };
  const bucket = `cli-approval-${Date.now()}`;
  await createBucket(stack.raw.s3, bucket);
  const worker = remediator(['worker'], env);
  const finding = s3Finding(bucket);
  const workflowId = remediationWorkflowId(finding.resource);
  await new FindingDispatcher(stack.env.client, 'cli-test').start({
    finding,
    playbook: 's3-block-public-access',
  });
  const handle = stack.env.client.workflow.getHandle(workflowId);
  for (let i = 0; i < 200; i += 1) {
    const listed: string[] = [];
    const query = `WorkflowId = '${workflowId}' AND RemediationStatus = 'AWAITING_APPROVAL'`;
    for await (const e of stack.env.client.workflow.list({ query })) listed.push(e.workflowId);
    if (listed.length) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const { awaitingApproval } = await handle.query(statusQuery);

  // Act
  const waiting = remediator(['status', '--awaiting-approval'], env);
  const one = remediator(['status', workflowId], env);
  const noReason = remediator(['approve', workflowId], env);
  const stale = remediator(['approve', workflowId, '--reason', 'ok', '--request', 'evt-other#1'], env);
  expect(await Promise.all([waiting.exited, one.exited, noReason.exited, stale.exited])).toEqual([
    0, 0, 1, 2,
  ]);
  const reject = remediator(['reject', workflowId, '--reason', 'bucket hosts the public website'], env);
  expect(await reject.exited).toBe(0);
  const result: RemediationResult = await handle.result();
  const afterwards = remediator(
    ['approve', 'remediation/123456789012/ap-northeast-1/AWS::S3::Bucket/none', '--reason', 'x'],
    env,
  );
  expect(await afterwards.exited).toBe(2);
  worker.kill('SIGTERM');
  expect(await worker.exited).toBe(0);

  // Assess
  const me = `${userInfo().username}@${hostname()}`;
  expect(waiting.output()).toMatch(
    new RegExp(
      `AWAITING_APPROVAL\\s+s3-block-public-access\\s+123456789012\\s+\\S+\\s+${workflowId.replace(/[/:]/g, '.')}`,
    ),
  );
  expect(one.output()).toContain(`awaiting approval: request ${awaitingApproval?.requestId}`);
  expect(one.output()).toContain('plan: put-public-access-block: PutPublicAccessBlock on');
  expect(noReason.output()).toContain("required option '--reason <text>' not specified");
  expect(stale.output()).toContain(`waits for request ${awaitingApproval?.requestId}, not evt-other#1`);
  // The decider is the identity STS vouched for (moto's), not the OS label, which is only the caller identity.
  expect(reject.output()).toContain(
    `Rejected ${workflowId} (request ${awaitingApproval?.requestId}) as ${MOTO_ARN}`,
  );
  expect(afterwards.output()).toContain('no running remediation with id');
  expect(result.status).toBe('REJECTED');
  expect(result.outcomes[0]?.approval).toMatchObject({
    decision: 'reject',
    by: MOTO_ARN,
    reason: 'bucket hosts the public website',
  });
  // The caller identity of the update in the history is the operator's too.
  const history = await handle.fetchHistory();
  const accepted = history.events?.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  expect(accepted?.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.identity).toBe(me);
});

it('pause, controls, exempt and resume are signed, record the verified operator and say what they did; bad input exits 2', async () => {
  const env = { ...stackEnv(), REMEDIATION_POLICY: policyFile() };
  const worker = remediator(['worker'], env);
  await worker.waitFor('"message":"Worker started"', 60_000);
  // The decider is the identity STS vouched for (moto's on the emulator), not the OS label.
  const me = MOTO_ARN;
  const run = async (args: string[]) => {
    const p = remediator(args, env);
    return { code: await p.exited, out: p.output() };
  };

  const paused = await run(['pause', '--playbook', 's3-block-public-access', '--reason', 'change freeze']);
  const exempted = await run([
    'exempt',
    'remediation/123456789012/ap-northeast-1/AWS::S3::Bucket/public-site',
    '--until',
    '7d',
    '--reason',
    'public website',
  ]);
  const controls = await run(['controls']);
  const badUntil = await run([
    'exempt',
    '123456789012/*/AWS::S3::Bucket/x',
    '--until',
    'someday',
    '--reason',
    'r',
  ]);
  const resumed = await run(['resume', '--playbook', 's3-block-public-access']);
  worker.kill('SIGTERM');
  expect(await worker.exited).toBe(0);

  expect(paused).toEqual({
    code: 0,
    out: `Paused s3-block-public-access in every account (by ${me}): new remediations are held before their first change.\n`,
  });
  expect(exempted.out).toMatch(
    new RegExp(
      `^Exempted 123456789012/ap-northeast-1/AWS::S3::Bucket/public-site until \\S+ \\(by ${me.replace(/[/:]/g, '.')}\\): public website`,
    ),
  );
  expect(controls.out).toContain(`Pauses (1):\n  s3-block-public-access in * since `);
  expect(controls.out).toContain(`by ${me}: change freeze`);
  expect(controls.out).toContain(
    'Exemptions (1):\n  123456789012/ap-northeast-1/AWS::S3::Bucket/public-site until ',
  );
  expect(badUntil.code).toBe(2);
  expect(badUntil.out).toContain("--until 'someday' is neither a time");
  expect(resumed.out).toBe('Resumed s3-block-public-access in every account; 0 held remediation(s) woken.\n');
});

it('rollback: undoes a remediation, prints what it restored, refuses a second one for the run; status lists it', async () => {
  const env = { ...stackEnv(), REMEDIATION_POLICY: join(__dirname, '../../examples/policy-fast.yaml') };
  const bucket = `cli-rollback-${Date.now()}`;
  await createBucket(stack.raw.s3, bucket);
  const worker = remediator(['worker'], env);
  const finding = s3Finding(bucket);
  const workflowId = remediationWorkflowId(finding.resource);
  await new FindingDispatcher(stack.env.client, 'cli-test').start({
    finding,
    playbook: 's3-block-public-access',
  });
  const handle = stack.env.client.workflow.getHandle(workflowId);
  // Queries need the worker: a worker that did not start fails here with its output, not at the test's timeout.
  await worker.waitFor('Worker started', 60_000);
  // The worker runs with its own policy (policy-fast.yaml: a minute's cool-down): roll back while the execution
  // cools down, from its status query, as an operator would.
  let remediated: Outcome | undefined;
  for (let i = 0; i < 300 && !remediated; i += 1) {
    const snapshot = await handle.query(statusQuery).catch(() => undefined);
    remediated = snapshot?.outcomes.find((o) => o.status === 'REMEDIATED');
    if (!remediated) await new Promise((r) => setTimeout(r, 100));
  }
  const { runId } = await handle.describe();

  const first = remediator(['rollback', workflowId, '--reason', 'site went dark', '--exempt-for', '2h'], env);
  const firstCode = await first.exited;
  // Visibility follows the rollback's last search-attribute update shortly after: wait for it.
  for (let i = 0; i < 100; i += 1) {
    const query = `WorkflowId = 'rollback/${workflowId}/${runId}' AND RemediationStatus = 'ROLLED_BACK'`;
    const rows: string[] = [];
    for await (const e of stack.env.client.workflow.list({ query })) rows.push(e.workflowId);
    if (rows.length > 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const again = remediator(['rollback', workflowId, '--run', runId, '--reason', 'again'], env);
  const listed = remediator(['status', '--recent', '1h', '--status', 'ROLLED_BACK'], env);
  const codes = [await again.exited, await listed.exited];
  worker.kill('SIGTERM');
  expect(await worker.exited).toBe(0);
  // The CLI asks; it sends no outcome, prior state or settings (docs/architecture.md, Trust model).
  const history = await stack.env.client.workflow.getHandle(`rollback/${workflowId}/${runId}`).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const sent = started ? defaultPayloadConverter.fromPayload<Record<string, unknown>>(started) : {};

  // The requester is the identity STS vouched for (moto's), the signature bound to this run, reason and flags.
  const me = MOTO_ARN;
  expect(remediated?.status).toBe('REMEDIATED');
  expect(Object.keys(sent).sort()).toEqual([
    'by',
    'exemptForMs',
    'force',
    'reason',
    'requestId',
    'signature',
    'target',
  ]);
  expect(sent['target']).toEqual({ workflowId, runId });
  expect(firstCode).toBe(0);
  expect(first.output()).toMatch(
    new RegExp(
      `^ROLLED_BACK: restored put-public-access-block to the recorded prior state and verified; exempt until \\S+\n` +
        `  remediation: ${workflowId.replace(/[/:]/g, '.')} \\(run ${runId}\\)\n` +
        `  asked by:    ${me.replace(/[/:]/g, '.')}: site went dark\n` +
        `  restored:    put-public-access-block: `,
    ),
  );
  expect(codes).toEqual([2, 0]);
  expect(again.output()).toContain(`already has a rollback: rollback/${workflowId}/${runId}`);
  expect(listed.output()).toMatch(
    new RegExp(`ROLLED_BACK +rollback +123456789012 .*rollback/${workflowId.replace(/[/:]/g, '.')}`),
  );
  const block = await stack.raw.s3
    .send(new GetPublicAccessBlockCommand({ Bucket: bucket }))
    .catch((err: Error) => err.name);
  expect(block).toBe('NoSuchPublicAccessBlockConfiguration');
});

it('refuses to start with exit code 2 and names the missing or malformed setting', async () => {
  const missing = remediator(['worker'], { ...stackEnv(), NOTIFY_TOPIC_ARN: '' });
  const malformed = remediator(['ingest'], { ...stackEnv(), INGEST_QUEUE_URL: 'not a url' });
  expect(await missing.exited).toBe(2);
  expect(await malformed.exited).toBe(2);
  expect(missing.output()).toContain('NOTIFY_TOPIC_ARN is not set');
  expect(malformed.output()).toContain('INGEST_QUEUE_URL must be an http(s) URL');
});

it('the worker refuses a namespace without the search attributes, naming them', async () => {
  await stack.env.client.connection.workflowService.registerNamespace({
    namespace: 'no-attributes',
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  const worker = remediator(['worker'], { ...stackEnv(), TEMPORAL_NAMESPACE: 'no-attributes' });
  expect(await worker.exited).toBe(2);
  expect(worker.output()).toContain('RemediationStatus (KEYWORD) is missing');
  expect(worker.output()).toContain('Severity (DOUBLE) is missing');
});

it('--help explains each command', async () => {
  const help = remediator(['ingest', '--help'], {});
  expect(await help.exited).toBe(0);
  expect(help.output()).toContain('long-poll INGEST_QUEUE_URL');
});
