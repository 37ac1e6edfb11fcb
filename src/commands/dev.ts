/**
 * `remediator dev`: the local stack in the foreground until Ctrl-C, printing the environment other shells need.
 */
import { DefaultLogger } from '@temporalio/worker';
import type { ProcessMetrics } from '../metrics/process-metrics';
import { describeTelemetry } from '../metrics/telemetry';
import { loadDevStackConfig } from '../config';
import { describeTracing } from '../telemetry/tracing';
import { withProcessTelemetry } from '../telemetry/process-telemetry';
import type { Tracing } from '../telemetry/tracing';
import { startLocalStack } from '../devstack/local-stack';
import type { Logger } from '../logger';
import { loadPolicy } from '../policy/load-policy';

/** Runs the stack until SIGINT/SIGTERM. */
export async function runDev(
  options: { policyPath?: string; temporalPort: number; uiPort: number; motoPort: number },
  logger: Logger,
  print: (line: string) => void,
): Promise<void> {
  // Keep the terminal for the story; the SDK's own info logs would drown it. The stack's worker and bridge run here:
  // one process, one service (docs/observability.md, Traces).
  await withProcessTelemetry('remediator-dev', new DefaultLogger('WARN'), logger, (metrics, tracing) =>
    runStack(options, logger, print, metrics, tracing),
  );
}

/** Starts the stack, prints how to reach it and keeps it up until SIGINT/SIGTERM. */
async function runStack(
  options: { policyPath?: string; temporalPort: number; uiPort: number; motoPort: number },
  logger: Logger,
  print: (line: string) => void,
  metrics: ProcessMetrics,
  tracing: Tracing,
): Promise<void> {
  const devstack = loadDevStackConfig();
  const stack = await startLocalStack({
    temporalCliPath: devstack.temporalCliPath,
    motoServerPath: devstack.motoServerPath,
    metrics,
    policy: loadPolicy(options.policyPath),
    logger,
    temporalPort: options.temporalPort,
    uiPort: options.uiPort,
    motoPort: options.motoPort,
  });
  print(`Temporal UI: ${stack.temporal.uiUrl ?? '(headless)'}`);
  print(`Metrics: ${describeTelemetry(metrics.config).metrics}`);
  print(`Traces: ${describeTracing(tracing).traces}`);
  print('Local stack running. In another shell:');
  for (const [k, v] of Object.entries(stack.env)) print(`  export ${k}=${v}`);
  print('then e.g.: remediator send-event examples/events/config-s3-bucket-public-read-noncompliant.json');
  print('Press Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await stack.stop();
}
