/**
 * Real servers for a test file: one moto and one Temporal dev server each, so a reset never wipes another suite's
 * state. A server that does not start fails the suite loudly; nothing is skipped.
 */
import { existsSync } from 'node:fs';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadDevStackConfig } from '../../src/config';
import { REQUIRED_SEARCH_ATTRIBUTES } from '../../src/domain/search-attributes';
import { startMoto } from '../../src/devstack/moto-server';
import type { MotoServer } from '../../src/devstack/moto-server';
import { isPortClash } from '../../src/devstack/processes';

/** Starts moto for this suite. */
export async function startSuiteMoto(): Promise<MotoServer> {
  return startMoto(loadDevStackConfig().motoServerPath);
}

/** Starts the Temporal CLI dev server (built from the Go module proxy) with our search attributes. */
export async function startSuiteTemporal(): Promise<TestWorkflowEnvironment> {
  const { temporalCliPath } = loadDevStackConfig();
  if (!existsSync(temporalCliPath)) {
    throw new Error(`Temporal CLI missing at ${temporalCliPath}; run 'bash scripts/ensure-temporal.sh'`);
  }
  // The SDK picks the port; when another process binds it first, the server exits and a new port is tried.
  for (let attempt = 1; ; attempt++) {
    try {
      return await TestWorkflowEnvironment.createLocal({
        server: {
          executable: { type: 'existing-path', path: temporalCliPath },
          ip: '127.0.0.1',
          ui: false,
          searchAttributes: [...REQUIRED_SEARCH_ATTRIBUTES],
          extraArgs: ['--log-level', 'error'],
        },
      });
    } catch (err) {
      if (attempt >= 3 || !isPortClash(String(err))) throw err;
    }
  }
}
