/**
 * Captures workflow histories from real runs (Temporal dev server + moto) into test/replay/histories/, for the replay
 * test. Re-run deliberately, and say why in the commit, when a workflow change is meant to break replay:
 *   TEMPORAL_CLI_PATH=$(bash scripts/ensure-temporal.sh) npx tsx scripts/capture-histories.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { loadDevStackConfig } from '../src/config';
import { remediationWorkflowId } from '../src/domain/finding';
import type { Finding } from '../src/domain/finding';
import { FindingDispatcher } from '../src/ingest/dispatcher';
import { createBucket } from '../test/helpers/aws';
import { fastSettings, s3Finding } from '../test/helpers/fixtures';
import { startWorkflowStack } from '../test/helpers/workflow-stack';

const OUT = join(__dirname, '../test/replay/histories');

async function main(): Promise<void> {
  const stack = await startWorkflowStack();
  try {
    const taskQueue = `capture-${randomUUID()}`;
    const worker = await stack.worker(taskQueue, stack.activities());
    const dispatcher = new FindingDispatcher(stack.env.client, taskQueue, fastSettings({}, 2000));
    const scenarios: Array<{ name: string; findings: Finding[]; bucket?: string }> = [
      {
        name: 'remediated-with-repeat-and-new-control',
        bucket: 'replay-public',
        findings: [
          s3Finding('replay-public'),
          s3Finding('replay-public', { eventId: 'evt-repeat' }),
          s3Finding('replay-public', { control: 's3-bucket-public-write-prohibited' }),
        ],
      },
      { name: 'no-action-bucket-gone', findings: [s3Finding('replay-gone')] },
    ];
    await worker.runUntil(async () => {
      for (const scenario of scenarios) {
        if (scenario.bucket) await createBucket(stack.raw.s3, scenario.bucket);
        for (const finding of scenario.findings)
          await dispatcher.start({ finding, playbook: 's3-block-public-access' });
        const first = scenario.findings[0];
        if (!first) continue;
        const handle = stack.env.client.workflow.getHandle(remediationWorkflowId(first.resource));
        const result = await handle.result();
        // Exported the way an operator would, with the Temporal CLI, so `remediator replay` takes the same files.
        const json = execFileSync(loadDevStackConfig().temporalCliPath, [
          'workflow',
          'show',
          '--address',
          stack.env.address,
          '--workflow-id',
          handle.workflowId,
          '--output',
          'json',
        ]).toString();
        writeFileSync(join(OUT, `${scenario.name}.json`), json);
        const events = (JSON.parse(json) as { events: unknown[] }).events.length;
        process.stdout.write(`captured ${scenario.name}: ${result.status}, ${events} events\n`);
      }
    });
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
