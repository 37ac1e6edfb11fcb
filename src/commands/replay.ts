/**
 * `remediator replay <history.json…>`: replays recorded histories against the current workflow code and fails on
 * any non-determinism.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../worker';

/** Replays each file; returns one line per history and whether all passed. */
export async function replayHistories(paths: string[]): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = [];
  let ok = true;
  for (const path of paths) {
    const history: unknown = JSON.parse(readFileSync(path, 'utf8'));
    try {
      await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, history, basename(path));
      lines.push(`ok      ${path}`);
    } catch (err) {
      ok = false;
      lines.push(`FAILED  ${path}: ${(err as Error).message}`);
    }
  }
  return { ok, lines };
}
