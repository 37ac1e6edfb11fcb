/**
 * `remediator demo`: the seed scenario end to end on the local stack. A public bucket is created in moto, the Config
 * NON_COMPLIANT event is put on EventBridge, the rule delivers it to SQS, the bridge starts the workflow, the worker
 * blocks public access, verifies it, and notifies; the outcome is printed with the Temporal UI link.
 */
import { join } from 'node:path';
import { CreateBucketCommand, GetPublicAccessBlockCommand, PutBucketAclCommand } from '@aws-sdk/client-s3';
import type { BucketLocationConstraint } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { executionLink } from '../activities/messages';
import { DefaultLogger } from '@temporalio/worker';
import type { ProcessMetrics } from '../metrics/process-metrics';
import { withProcessTelemetry } from '../telemetry/process-telemetry';
import { loadDevStackConfig } from '../config';
import { remediationWorkflowId } from '../domain/finding';
import type { RemediationPolicy } from '../domain/policy';
import type { Outcome, PhaseStatus } from '../domain/remediation';
import { startLocalStack } from '../devstack/local-stack';
import { preferPort } from '../devstack/processes';
import { parseMessageBody } from '../ingest/envelope';
import { singleFinding } from '../ingest/normalise';
import type { Logger } from '../logger';
import { DEFAULT_POLICY } from '../policy/default-policy';
import { statusQuery } from '../workflows/definitions';
import { DEMO_SCENARIOS } from './demo-scenarios';
import { projectRoot } from './project-root';
import { putEvent, readEventFile } from './send-event';
import { withDetectorTimesNow } from './event-times';
import { formatDuration } from '../report/format';
import { describeTelemetry } from '../metrics/telemetry';
import { describeTracing } from '../telemetry/tracing';
import type { Tracing } from '../telemetry/tracing';

/** Demo policy: the seed's, with a 2 s verification window and quick retries so the demo takes seconds. */
export const DEMO_POLICY: RemediationPolicy = {
  ...DEFAULT_POLICY,
  defaults: {
    ...DEFAULT_POLICY.defaults,
    propagationWaitMs: 2000,
    retry: { ...DEFAULT_POLICY.defaults.retry, initialIntervalMs: 1000 },
  },
};

/** Options of the demo. */
export interface DemoOptions {
  readonly keepRunning: boolean;
  readonly headless: boolean;
  /** Also run every other seed scenario (DEMO_SCENARIOS). */
  readonly all?: boolean;
}

/** Runs the demo; resolves with the outcome. */
export async function runDemo(
  options: DemoOptions,
  logger: Logger,
  print: (line: string) => void,
): Promise<Outcome> {
  // Keep the terminal for the story; the SDK's own info logs would drown it. The stack's worker and bridge run here:
  // one process, one service (docs/observability.md, Traces).
  return withProcessTelemetry('remediator-demo', new DefaultLogger('ERROR'), logger, (metrics, tracing) =>
    demoWith(options, logger, print, metrics, tracing),
  );
}

/** The demo once the process's metrics and tracing are in place. */
async function demoWith(
  options: DemoOptions,
  logger: Logger,
  print: (line: string) => void,
  metrics: ProcessMetrics,
  tracing: Tracing,
): Promise<Outcome> {
  const devstack = loadDevStackConfig();
  const eventFile = join(projectRoot(), 'examples/events/config-s3-bucket-public-read-noncompliant.json');
  const { event } = readEventFile(eventFile);
  const { resource } = singleFinding(event);

  print('Starting the local stack (Temporal dev server, moto, worker, ingest bridge)...');
  const stack = await startLocalStack({
    temporalCliPath: devstack.temporalCliPath,
    motoServerPath: devstack.motoServerPath,
    metrics,
    policy: DEMO_POLICY,
    logger,
    region: resource.region,
    headless: options.headless,
    temporalPort: await preferPort(7233),
    uiPort: await preferPort(8233),
  });
  try {
    const s3 = stack.clients.s3(resource.account, resource.region);
    await s3.send(
      new CreateBucketCommand({
        Bucket: resource.resourceId,
        CreateBucketConfiguration: { LocationConstraint: resource.region as BucketLocationConstraint },
      }),
    );
    await s3.send(new PutBucketAclCommand({ Bucket: resource.resourceId, ACL: 'public-read' }));
    print(`Created bucket ${resource.resourceId} in moto with a public-read ACL and no public access block.`);

    const eventId = await putEvent(stack.events, withDetectorTimesNow(event), 'default');
    print(
      `Put the Config NON_COMPLIANT event on EventBridge (event ${eventId}); the rule delivers it to SQS.`,
    );

    const workflowId = remediationWorkflowId(resource);
    const outcome = await waitForOutcome(stack.client, workflowId, 120_000);
    const handle = stack.client.workflow.getHandle(workflowId);
    const { runId } = await handle.describe();
    const block = await s3.send(new GetPublicAccessBlockCommand({ Bucket: resource.resourceId }));
    const note = await stack.clients
      .sqs(resource.region)
      .send(new ReceiveMessageCommand({ QueueUrl: stack.resources.notifyInboxUrl, WaitTimeSeconds: 5 }));
    const subject = note.Messages?.[0]?.Body
      ? (JSON.parse(note.Messages[0].Body) as { Subject?: string }).Subject
      : undefined;

    print('');
    print(`Outcome:        ${outcome.status} — ${outcome.reason}`);
    print(`Prior state:    ${JSON.stringify(outcome.prior)}`);
    for (const change of outcome.changes) print(`Change:         ${change.step}: ${change.detail}`);
    print(`Bucket now:     ${JSON.stringify(block.PublicAccessBlockConfiguration)}`);
    print(`Notification:   ${subject ?? '(none received)'}`);
    print(`Time to fix:    ${timeToFix(outcome)}`);
    print(
      `Temporal UI:    ${executionLink({ workflowId, runId }, { temporalUiUrl: stack.temporal.uiUrl ?? 'http://localhost:8233', namespace: stack.temporal.namespace })}`,
    );
    if (options.all) {
      for (const scenario of DEMO_SCENARIOS) {
        print('');
        print(`== ${scenario.title}`);
        const aws = {
          clients: stack.clients,
          temporal: stack.client,
          account: resource.account,
          region: resource.region,
          state: {},
        };
        const patch = await scenario.arrange(aws);
        const path = join(projectRoot(), 'examples/events', scenario.eventFile);
        const patched = parseMessageBody(
          JSON.stringify(patch(JSON.parse(readEventFile(path).text) as Record<string, unknown>)),
        );
        const id = remediationWorkflowId(singleFinding(patched).resource);
        await putEvent(stack.events, withDetectorTimesNow(patched), 'default');
        if (scenario.meanwhile) {
          await waitForPhase(stack.client, id, scenario.meanwhile.phase, 120_000);
          print(`Meanwhile:      ${await scenario.meanwhile.act(aws, id)}`);
        }
        const result = await waitForOutcome(stack.client, id, 120_000);
        print(`Outcome:        ${result.status} — ${result.reason}`);
        for (const change of result.changes) print(`Change:         ${change.step}: ${change.detail}`);
        print(`Now:            ${await scenario.after(aws)}`);
        print(`Time to fix:    ${timeToFix(result)}`);
        print(`Execution:      ${id}`);
      }
    }
    if (options.keepRunning) {
      print('');
      print('The stack keeps running so you can explore the Temporal UI. In another shell:');
      for (const [k, v] of Object.entries(stack.env)) print(`  export ${k}=${v}`);
      print('then: remediator report --since 1h    (outcomes, time to fix, escalations, approvals)');
      print(`Metrics: ${describeTelemetry(metrics.config).metrics}`);
      print(`Traces: ${describeTracing(tracing).traces}`);
      print('Press Ctrl-C to stop.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
    return outcome;
  } finally {
    await stack.stop();
  }
}

async function waitForPhase(
  client: Awaited<ReturnType<typeof startLocalStack>>['client'],
  workflowId: string,
  phase: PhaseStatus,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const snapshot = await client.workflow
      .getHandle(workflowId)
      .query(statusQuery)
      .catch(() => undefined); // not started yet: the event is still on its way
    if (snapshot?.phase === phase) return;
    if (snapshot?.outcomes.length) throw new Error(`${workflowId} finished before reaching ${phase}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${workflowId} did not reach ${phase} within ${timeoutMs} ms`);
}

async function waitForOutcome(
  client: Awaited<ReturnType<typeof startLocalStack>>['client'],
  workflowId: string,
  timeoutMs: number,
): Promise<Outcome> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const snapshot = await client.workflow.getHandle(workflowId).query(statusQuery);
      const outcome = snapshot.outcomes[0];
      if (outcome) return outcome;
    } catch {
      // Not started yet: the event is still on its way through EventBridge and SQS.
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`No outcome for ${workflowId} within ${timeoutMs} ms`);
}

/** From the detector's observation of the finding to the verified fix, as the MTTR metric measures it. */
function timeToFix(outcome: Outcome): string {
  const at = outcome.verification?.passed ? outcome.verification.at : undefined;
  if (at === undefined) return '(not fixed)';
  const ms = Date.parse(at) - Date.parse(outcome.finding.observedAt);
  return Number.isFinite(ms)
    ? `${formatDuration(Math.max(0, ms))} from the detector's observation to the verified fix`
    : '(unknown)';
}
