/**
 * `remediator replay <history.json…>`: replays recorded histories against the current workflow code (bundled once)
 * and fails on any non-determinism.
 */
import { readFileSync } from 'node:fs';
import type { DataConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { loadPayloadEncryptionConfig } from '../config';
import { NO_EMF } from '../metrics/emf';
import { metricsSinks } from '../metrics/metrics-sinks';
import { encryptionDataConverter } from '../temporal/codec';
import { WORKFLOW_INTERCEPTOR_MODULES, workflowTracingSinks } from '../telemetry/temporal-tracing';
import { TRACING_OFF } from '../telemetry/tracing';
import { WORKFLOW_PRELOAD_MODULES, WORKFLOWS_PATH } from '../worker';

/**
 * Replays each file; returns one line per history and whether all passed. Histories with encrypted payloads replay
 * with the payload keys of the environment (`PAYLOAD_ENCRYPTION_KEYS`), plain ones with or without them.
 */
export async function replayHistories(
  paths: string[],
  dataConverter: DataConverter | undefined = encryptionDataConverter(loadPayloadEncryptionConfig()),
): Promise<{ ok: boolean; lines: string[] }> {
  // The workflow code as the worker runs it, tracing interceptors included (docs/observability.md, Traces).
  const bundle = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    preloadModules: [...WORKFLOW_PRELOAD_MODULES],
    workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES],
    logger: new DefaultLogger('WARN'),
  });
  const lines: string[] = [];
  let ok = true;
  const histories = paths.map((path) => ({
    workflowId: path,
    history: historyFromJSON(JSON.parse(readFileSync(path, 'utf8'))),
  }));
  // The sinks the workflows call, as the worker registers them: a replay calls none, but an unknown one is an error.
  const options = {
    workflowBundle: bundle,
    sinks: { ...metricsSinks(NO_EMF), ...workflowTracingSinks(TRACING_OFF) },
    ...(dataConverter ? { dataConverter } : {}),
  };
  for await (const result of Worker.runReplayHistories(options, histories)) {
    if (result.error) {
      ok = false;
      lines.push(`FAILED  ${result.workflowId}: ${result.error.message}`);
    } else {
      lines.push(`ok      ${result.workflowId}`);
    }
  }
  return { ok, lines };
}
