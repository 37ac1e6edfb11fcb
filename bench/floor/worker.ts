/**
 * The floor's worker process (`node --import tsx bench/floor/worker.ts`): the no-op workflow bundle and activities on
 * TEMPORAL_TASK_QUEUE, with the SDK's default worker options like `remediator worker`. Stops on SIGINT/SIGTERM.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createFloorActivities } from './activities';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: env('TEMPORAL_ADDRESS') });
  try {
    const worker = await Worker.create({
      connection,
      namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue: env('TEMPORAL_TASK_QUEUE'),
      workflowBundle: { codePath: env('WORKFLOW_BUNDLE_PATH') },
      activities: createFloorActivities(),
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
