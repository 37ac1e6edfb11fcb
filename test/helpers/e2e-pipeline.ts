/**
 * The product's pipeline on a suite's stack, for end-to-end tests: a worker with real activities and the in-process
 * ingest bridge of the local stack (src/devstack/local-bridge.ts) reading the suite's queue, which EventBridge
 * delivers to. `stop` ends bridge and worker first: the servers outlive them.
 */
import { catalogueShapes } from '../../src/playbooks/catalogue';
import { resolveExecutionSettings } from '../../src/domain/policy';
import type { RemediationPolicy } from '../../src/domain/policy';
import { startLocalBridge } from '../../src/devstack/local-bridge';
import type { SqsBridge } from '../../src/ingest/sqs-bridge';
import { jsonLogger, silentLogger } from '../../src/logger';
import { putEvent } from '../../src/commands/send-event';
import { remediationWorkflowId } from '../../src/domain/finding';
import type { Outcome, RemediationResult } from '../../src/domain/remediation';
import { parseMessageBody } from '../../src/ingest/envelope';
import { subjectFor } from '../../src/ingest/finding-subject';
import { singleFinding } from '../../src/ingest/normalise';
import { motoClients } from './aws';
import type { WorkflowStack } from './workflow-stack';
import { useWorkerPolicy } from './worker-policies';

/**
 * Puts `event` on the stack's EventBridge and waits (up to a minute) for its resource's run to complete; a later event
 * for the same resource starts a new run once the previous one completed, so pass that one as `afterRunId`. Logs
 * `e2e <label>: PutEvents to <status> in <ms>` (PutEvents → verified outcome, for the issue notes).
 */
export async function remediateEvent(
  stack: WorkflowStack,
  bridge: SqsBridge,
  event: Record<string, unknown>,
  label: string,
  afterRunId?: string,
  /** The playbook it routes to, when that keys executions differently (`guardduty-finding-triage`: by finding). */
  playbook?: string,
): Promise<{ result: RemediationResult; outcome: Outcome; elapsedMs: number; runId: string }> {
  const parsed = parseMessageBody(JSON.stringify(event));
  const normalised = singleFinding(parsed);
  const finding = playbook ? subjectFor(normalised, playbook) : normalised;
  const workflowId = remediationWorkflowId(finding.resource);
  const started = Date.now();
  await putEvent(stack.raw.events, parsed, 'default');
  const deadline = started + 60_000;
  let skip = afterRunId;
  for (;;) {
    if (Date.now() > deadline) {
      throw new Error(`no run for ${workflowId}; bridge stats ${JSON.stringify(bridge.stats)}`);
    }
    try {
      const { runId } = await stack.env.client.workflow.getHandle(workflowId).describe();
      if (runId !== skip) {
        const result: RemediationResult = await stack.env.client.workflow
          .getHandle(workflowId, runId)
          .result();
        // One execution per resource: a run still cooling down after another finding about the same resource (an
        // account's settings) takes this one too. This event's outcome (its control, started after the event was
        // sent; EventBridge gives the delivered event a new id) says it was handled; a run without it ended before the
        // event came, and the next run has it.
        const outcome = result.outcomes.find(
          (o) => o.finding.control === finding.control && Date.parse(o.startedAt) >= started,
        );
        if (!outcome) {
          skip = runId;
          continue;
        }
        const elapsedMs = Date.parse(outcome.finishedAt) - started;
        process.stdout.write(`e2e ${label}: PutEvents to ${outcome.status} in ${elapsedMs} ms\n`);
        return { result, outcome, elapsedMs, runId };
      }
    } catch (err) {
      if ((err as Error).name !== 'WorkflowNotFoundError') throw err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A running worker and bridge; `stop` ends both (not the servers). */
export interface E2ePipeline {
  readonly bridge: SqsBridge;
  stop(): Promise<void>;
}

/** Starts a worker on `taskQueue` and the bridge in front of it. E2E_DEBUG=1 shows the bridge's log. */
export async function startPipeline(
  stack: WorkflowStack,
  policy: RemediationPolicy,
  taskQueue: string,
): Promise<E2ePipeline> {
  // The worker holds the same policy as the bridge, with the local stack's trust (as `remediator dev` runs it).
  useWorkerPolicy(taskQueue, resolveExecutionSettings(policy, catalogueShapes()), policy.trust ?? {});
  const worker = await stack.worker(taskQueue, stack.activities());
  const workerRun = worker.run();
  const local = startLocalBridge({
    sqs: stack.raw.sqs,
    resources: stack.resources,
    clients: motoClients(stack.moto.endpoint),
    client: stack.env.client,
    taskQueue,
    policy,
    logger: process.env.E2E_DEBUG ? jsonLogger('e2e') : silentLogger,
  });
  return {
    bridge: local.bridge,
    async stop() {
      await local.stop();
      worker.shutdown();
      await workerRun;
    },
  };
}
