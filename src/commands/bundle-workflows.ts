/**
 * `remediator bundle-workflows --out <file>`: bundles the workflow code ahead of time (the same webpack bundle the
 * worker otherwise builds at every start), so that a worker started with `WORKFLOW_BUNDLE_PATH=<file>` loads it
 * as is. The container image is built with one.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../telemetry/temporal-tracing';
import { WORKFLOW_PRELOAD_MODULES, WORKFLOWS_PATH } from '../worker';

/** Bundles the workflows and writes the code (its source map inline) to `out`; returns the absolute path. */
export async function bundleWorkflows(out: string): Promise<{ path: string; bytes: number }> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    preloadModules: [...WORKFLOW_PRELOAD_MODULES],
    // The tracing interceptors, as the worker includes them when it bundles at start (docs/observability.md, Traces).
    workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES],
    logger: new DefaultLogger('WARN'),
  });
  const path = resolve(out);
  mkdirSync(dirname(path), { recursive: true });
  // Written beside the target and renamed, so a worker never loads a half-written bundle.
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, code);
  renameSync(partial, path);
  return { path, bytes: Buffer.byteLength(code) };
}
