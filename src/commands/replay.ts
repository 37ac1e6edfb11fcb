/**
 * `remediator replay <history.json…>`: replays recorded histories against the current workflow code (bundled once)
 * and fails on any non-determinism.
 */
import { readFileSync } from 'node:fs';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../worker';

/** Replays each file; returns one line per history and whether all passed. */
export async function replayHistories(paths: string[]): Promise<{ ok: boolean; lines: string[] }> {
  const bundle = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: new DefaultLogger('WARN'),
  });
  const lines: string[] = [];
  let ok = true;
  const histories = paths.map((path) => ({
    workflowId: path,
    history: historyFromJSON(JSON.parse(readFileSync(path, 'utf8'))),
  }));
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
    if (result.error) {
      ok = false;
      lines.push(`FAILED  ${result.workflowId}: ${result.error.message}`);
    } else {
      lines.push(`ok      ${result.workflowId}`);
    }
  }
  return { ok, lines };
}
