/**
 * The product's pipeline on a suite's stack, for end-to-end tests: a worker with real activities and the ingest
 * bridge reading the suite's queue (EventBridge delivers to it), routing by `policy`, enriching Config findings with
 * the rule's managed identifier as `remediator ingest` does. Stopped bridge and worker first: the servers outlive them.
 */
import type { Worker } from '@temporalio/worker';
import { PLAYBOOKS } from '../../src/domain/playbooks';
import { resolveExecutionSettings } from '../../src/domain/policy';
import type { RemediationPolicy } from '../../src/domain/policy';
import { ConfigRuleResolver, configFindingEnricher } from '../../src/ingest/config-rule-resolver';
import { FindingDispatcher } from '../../src/ingest/dispatcher';
import { createMessageHandler } from '../../src/ingest/message-handler';
import { SqsBridge } from '../../src/ingest/sqs-bridge';
import { jsonLogger, silentLogger } from '../../src/logger';
import { checkReachable } from '../../src/temporal/connection';
import { motoClients } from './aws';
import type { WorkflowStack } from './workflow-stack';

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
  const worker: Worker = await stack.worker(taskQueue, stack.activities());
  const workerRun = worker.run();
  const settings = resolveExecutionSettings(policy, Object.keys(PLAYBOOKS));
  const bridge = new SqsBridge({
    sqs: stack.raw.sqs,
    queueUrl: stack.resources.ingestQueueUrl,
    deadLetterQueueUrl: stack.resources.deadLetterQueueUrl,
    handleMessage: createMessageHandler(
      policy,
      new FindingDispatcher(stack.env.client, taskQueue, settings),
      configFindingEnricher(new ConfigRuleResolver(motoClients(stack.moto.endpoint), silentLogger)),
    ),
    checkTemporal: () => checkReachable(stack.env.client),
    logger: process.env.E2E_DEBUG ? jsonLogger('e2e') : silentLogger,
    waitTimeSeconds: 1,
  });
  const stopBridge = new AbortController();
  const bridgeRun = bridge.run(stopBridge.signal);
  return {
    bridge,
    async stop() {
      stopBridge.abort();
      await bridgeRun;
      worker.shutdown();
      await workerRun;
    },
  };
}
