/**
 * Every kit playbook end to end, from each of its event fixtures: its conformance setup makes a non-compliant
 * resource in moto, the fixture is pointed at it, PutEvents on moto's EventBridge → the rule delivers to SQS → the
 * ingest bridge → the workflow on the Temporal dev server → the change in moto, verified by a fresh read. The
 * propagation wait is 0, so the logged time is the pipeline's own; except for a playbook whose verification waits for
 * the world (its setup's `settle`, run beside the workflow: an alarm back to OK), whose wait gives `settle` its time.
 */
import { randomUUID } from 'node:crypto';
import type { RemediationPolicy } from '../../src/domain/policy';
import { kitHandler } from '../../src/kit/kit-handler';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { runActivity } from '../helpers/activity-env';
import { FIXTURE_ACCOUNT, FIXTURE_REGION, motoClients } from '../helpers/aws';
import { remediateEvent, startPipeline } from '../helpers/e2e-pipeline';
import type { E2ePipeline } from '../helpers/e2e-pipeline';
import { fixturePointedAt } from '../helpers/fixtures';
import { startWorkflowStack } from '../helpers/workflow-stack';
import type { WorkflowStack } from '../helpers/workflow-stack';
import { SETUPS } from '../conformance/setups';

/** The propagation wait of a playbook whose setup settles: time for `settle` to see the fix and answer it. */
const SETTLE_WAIT_MS = 4000;

const POLICY: RemediationPolicy = {
  ...DEFAULT_POLICY,
  cooldownMs: 1000,
  defaults: { ...DEFAULT_POLICY.defaults, propagationWaitMs: 0 },
  // Every kit playbook runs by itself here, whatever its default mode (approval has its own tests); options only for
  // the playbooks that need them (ConformanceSetup.optionsEndToEnd); a propagation wait only for those with `settle`.
  playbooks: Object.fromEntries(
    SETUPS.map((s) => [
      s.playbook.id,
      {
        mode: 'auto' as const,
        ...(s.optionsEndToEnd && s.options ? { options: s.options } : {}),
        ...(s.settle ? { propagationWaitMs: SETTLE_WAIT_MS } : {}),
      },
    ]),
  ),
};

let stack: WorkflowStack;
let pipeline: E2ePipeline;
beforeAll(async () => {
  stack = await startWorkflowStack();
  pipeline = await startPipeline(stack, POLICY, 'e2e-kit');
});
afterAll(async () => {
  await pipeline?.stop();
  await stack?.stop();
});

const cases = SETUPS.flatMap((setup) =>
  setup.events.map((fixture) => [setup.playbook.id, fixture, setup] as const),
);

it.each(cases)('%s from %s: PutEvents → fixed in moto and verified', async (id, fixture, setup) => {
  // Prepare: a non-compliant resource, and the fixture pointed at it (every mention of the fixture's resource id).
  const env = {
    endpoint: stack.moto.endpoint,
    account: FIXTURE_ACCOUNT,
    region: FIXTURE_REGION,
    unique: `e2e${randomUUID().slice(0, 6)}`,
  };
  const finding = await setup.nonCompliant(env);
  const event = {
    ...fixturePointedAt(fixture, finding.resource.resourceId),
    time: new Date().toISOString(),
  };

  // Act (and what the world does once the fix is in, beside the workflow, which waits for it before verifying)
  const [{ outcome }] = await Promise.all([
    remediateEvent(stack, pipeline.bridge, event, `${id} (${fixture})`),
    setup.settle?.(env, finding),
  ]);

  // Assess: verified by the workflow, and by reading moto ourselves through the playbook.
  expect(outcome).toMatchObject({ status: 'REMEDIATED', playbook: id, verification: { passed: true } });
  const clients = motoClients(stack.moto.endpoint);
  try {
    const analysis = await runActivity(kitHandler(setup.playbook, clients).analyze, finding, {});
    expect(analysis).toMatchObject({ verdict: 'no_action', reason: expect.stringContaining('is compliant') });
  } finally {
    clients.destroy();
  }
});
