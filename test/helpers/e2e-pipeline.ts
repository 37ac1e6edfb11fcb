/**
 * The product's pipeline on a suite's stack, for end-to-end tests: a worker with real activities and the in-process
 * ingest bridge of the local stack (src/devstack/local-bridge.ts) reading the suite's queue, which EventBridge
 * delivers to. `stop` ends bridge and worker first: the servers outlive them.
 */
import { CATALOGUE_SHAPES } from '../../src/playbooks/catalogue';
import { resolveExecutionSettings } from '../../src/domain/policy';
import type { RemediationPolicy } from '../../src/domain/policy';
import { startLocalBridge } from '../../src/devstack/local-bridge';
import type { SqsBridge } from '../../src/ingest/sqs-bridge';
import { jsonLogger, silentLogger } from '../../src/logger';
import { motoClients } from './aws';
import type { WorkflowStack } from './workflow-stack';
import { useWorkerPolicy } from './worker-policies';

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
  useWorkerPolicy(taskQueue, resolveExecutionSettings(policy, CATALOGUE_SHAPES), policy.trust ?? {});
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
