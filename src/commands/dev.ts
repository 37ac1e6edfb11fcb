/**
 * `remediator dev`: the local stack in the foreground until Ctrl-C, printing the environment other shells need.
 */
import { DefaultLogger } from '@temporalio/worker';
import { installRuntime } from '../metrics/process-metrics';
import { describeTelemetry } from '../metrics/telemetry';
import { loadDevStackConfig, loadTelemetryConfig } from '../config';
import { startLocalStack } from '../devstack/local-stack';
import type { Logger } from '../logger';
import { loadPolicy } from '../policy/load-policy';

/** Runs the stack until SIGINT/SIGTERM. */
export async function runDev(
  options: { policyPath?: string; temporalPort: number; uiPort: number; motoPort: number },
  logger: Logger,
  print: (line: string) => void,
): Promise<void> {
  // Keep the terminal for the story; the SDK's own info logs would drown it.
  const metrics = installRuntime(new DefaultLogger('WARN'), loadTelemetryConfig());
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
