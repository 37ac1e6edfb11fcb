/**
 * The floor's worker process (`node --import tsx bench/floor/worker.ts`): the no-op workflow bundle and activities on
 * TEMPORAL_TASK_QUEUE, with the SDK's default worker options like `remediator worker` (and its sticky cache bound,
 * WORKER_MAX_CACHED_WORKFLOWS, when set), and the settings of the policy at REMEDIATION_POLICY (the cool-down the floor
 * keeps). Stops on SIGINT/SIGTERM.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { CATALOGUE_SHAPES } from '../../src/playbooks/catalogue';
import { resolveExecutionSettings } from '../../src/domain/policy';
import { loadPolicy } from '../../src/policy/load-policy';
import { policyVersion } from '../../src/policy/worker-policy';
import { createFloorActivities } from './activities';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  const policy = loadPolicy(env('REMEDIATION_POLICY'));
  const held = {
    version: policyVersion(policy),
    settings: resolveExecutionSettings(policy, CATALOGUE_SHAPES),
  };
  const connection = await NativeConnection.connect({ address: env('TEMPORAL_ADDRESS') });
  try {
    const worker = await Worker.create({
      connection,
      namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue: env('TEMPORAL_TASK_QUEUE'),
      workflowBundle: { codePath: env('WORKFLOW_BUNDLE_PATH') },
      activities: createFloorActivities(held),
      ...(process.env.WORKER_MAX_CACHED_WORKFLOWS
        ? { maxCachedWorkflows: Number(process.env.WORKER_MAX_CACHED_WORKFLOWS) }
        : {}),
    });
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`floor worker failed: ${String(err)}\n`);
  process.exit(1);
});
