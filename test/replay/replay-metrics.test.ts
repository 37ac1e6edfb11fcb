/**
 * Replaying a history emits no metric (docs/observability.md): neither through the workflow meter (the Temporal
 * runtime's exporter, here a buffer) nor as an EMF line. The control shows the emission code does run during these
 * replays: a sink that asks to be called during replay receives the metrics the live runs emitted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, MetricsBuffer, Runtime, Worker } from '@temporalio/worker';
import type { InjectedSinks, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { EmfEntry } from '../../src/metrics/emf';
import { emfWriter } from '../../src/metrics/emf';
import { metricsSinks } from '../../src/metrics/metrics-sinks';
import { WORKFLOW_PRELOAD_MODULES, WORKFLOWS_PATH } from '../../src/worker';
import type { MetricsSinks } from '../../src/workflows/metrics';

const DIR = join(__dirname, 'histories');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const buffer = new MetricsBuffer();
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  // This file's own runtime (Jest gives each file its own module registry), exporting into a buffer we can read.
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { metrics: { buffer } },
  });
  bundle = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    preloadModules: [...WORKFLOW_PRELOAD_MODULES],
    logger: new DefaultLogger('WARN'),
  });
});

function histories() {
  return files.map((file) => ({
    workflowId: file,
    history: historyFromJSON(JSON.parse(readFileSync(join(DIR, file), 'utf8'))),
  }));
}

async function replayAll(sinks: InjectedSinks<MetricsSinks>): Promise<void> {
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, sinks }, histories())) {
    expect([result.workflowId, result.error]).toEqual([result.workflowId, undefined]);
  }
}

it('replaying every committed history adds nothing to the runtime meter and writes no EMF line', async () => {
  // Arrange: the buffer sees what the runtime's meter records (a control value first).
  Runtime.instance().metricMeter.createCounter('remediator_buffer_control').add(1);
  const lines: string[] = [];

  // Act
  await replayAll(metricsSinks(emfWriter(true, (line) => lines.push(line))));

  // Assess
  const names = [...buffer.retrieveUpdates()].map((u) => u.metric.name);
  expect(names).toContain('remediator_buffer_control');
  expect(names.filter((n) => n.startsWith('remediator_') && n !== 'remediator_buffer_control')).toEqual([]);
  expect(lines).toEqual([]);
});

it('control: the same replays do reach the emission (a sink called during replay receives the outcomes)', async () => {
  const received: EmfEntry[] = [];
  await replayAll({
    remediatorMetrics: {
      emf: {
        fn: (_info, entries) => {
          received.push(...entries);
        },
        callDuringReplay: true,
      },
    },
  });
  const outcomes = received.filter((e) => e.key === 'remediations');
  // Every committed remediation history ends in at least one outcome.
  expect(outcomes.length).toBeGreaterThanOrEqual(files.length / 2);
  expect(outcomes.map((e) => (e.labels as { outcome: string }).outcome)).toEqual(
    expect.arrayContaining(['remediated', 'escalated', 'no_action']),
  );
});
