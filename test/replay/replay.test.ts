/**
 * Replays every committed history (captured from real runs by scripts/capture-histories.ts) against the current
 * workflow code: a change that breaks determinism fails here.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WORKFLOW_PRELOAD_MODULES, WORKFLOWS_PATH } from '../../src/worker';
import { WORKFLOW_INTERCEPTOR_MODULES, workflowTracingSinks } from '../../src/telemetry/temporal-tracing';
import { TRACING_OFF } from '../../src/telemetry/tracing';
import { NO_EMF } from '../../src/metrics/emf';
import { metricsSinks } from '../../src/metrics/metrics-sinks';
import { replayHistories } from '../../src/commands/replay';
import { CATALOGUE, CATALOGUE_IDS } from '../../src/playbooks/catalogue';
import type { CatalogueId } from '../../src/playbooks/catalogue';
import type { RemediationResult } from '../../src/domain/remediation';

const DIR = join(__dirname, 'histories');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
let bundle: WorkflowBundleWithSourceMap;

/** The sinks the workflows call, as the worker registers them with EMF and tracing off. */
const sinks = { ...metricsSinks(NO_EMF), ...workflowTracingSinks(TRACING_OFF) };

beforeAll(async () => {
  // The workflow code as the worker runs it: with the tracing interceptors, which must add no command.
  bundle = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    preloadModules: [...WORKFLOW_PRELOAD_MODULES],
    workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES],
    logger: new DefaultLogger('WARN'),
  });
});

it('has committed histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(2);
});

it("covers every playbook's success and escalation paths, a regression and a cancellation", () => {
  const seen = new Set<string>();
  for (const file of files) {
    const { events } = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as {
      events: Array<{
        workflowExecutionCompletedEventAttributes?: { result: { payloads: Array<{ data: string }> } };
      }>;
    };
    const data = events.at(-1)?.workflowExecutionCompletedEventAttributes?.result.payloads[0]?.data;
    // Rollback and control-plane histories have no remediation outcomes (the control plane never completes).
    if (!data) continue;
    const result = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as Partial<RemediationResult>;
    for (const o of result.outcomes ?? []) seen.add(`${o.playbook} ${o.status}`);
  }
  // A playbook without steps only escalates: that is its one path.
  const paths = (id: string) =>
    CATALOGUE[id as CatalogueId].steps.length > 0 ? ['REMEDIATED', 'ESCALATED'] : ['ESCALATED'];
  const missing = CATALOGUE_IDS.flatMap((id) =>
    paths(id)
      .map((status) => `${id} ${status}`)
      .filter((k) => !seen.has(k)),
  );
  expect(missing).toEqual([]);
  expect(files).toEqual(
    expect.arrayContaining([
      's3-remediated-broken-again-remediated.json',
      's3-cancelled-awaiting-approval.json',
    ]),
  );
});

it.each(files)('replays %s without non-determinism', async (file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(join(DIR, file), 'utf8')));
  expect(history.events?.length).toBeGreaterThan(5);
  await expect(
    Worker.runReplayHistory({ workflowBundle: bundle, sinks }, history, file),
  ).resolves.toBeUndefined();
});

/** The first history with the activity that opens a run renamed to one the workflow never schedules. */
function tamperedFirst(): string {
  const original = readFileSync(join(DIR, files[0]!), 'utf8');
  const json = original.replace(/"name":\s*"openRemediation"/, '"name": "notAnActivity"');
  expect(json).not.toEqual(original);
  return json;
}

it('detects a history the workflow code cannot produce (tampered activity type)', async () => {
  const json = tamperedFirst();
  const history = historyFromJSON(JSON.parse(json));
  await expect(
    Worker.runReplayHistory({ workflowBundle: bundle, sinks }, history, 'tampered'),
  ).rejects.toThrow();
});

it('`remediator replay` reports each file', async () => {
  const result = await replayHistories(files.map((f) => join(DIR, f)));
  expect(result.ok).toBe(true);
  expect(result.lines).toHaveLength(files.length);
});

it('`remediator replay` reports a history the code cannot produce as FAILED', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'replay-'));
  const tampered = join(dir, 'tampered.json');
  writeFileSync(tampered, tamperedFirst());
  const result = await replayHistories([tampered]);
  expect(result.ok).toBe(false);
  expect(result.lines[0]).toMatch(/^FAILED {2}.*tampered\.json/);
});
