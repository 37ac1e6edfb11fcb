/**
 * The conformance suite (docs/architecture.md, Playbook kit): every playbook built with the kit goes through the same
 * cases against moto, through the real activities, with a fault proxy between them and moto:
 *
 * - non-compliant ⇒ planned, fixed and verified by a fresh read; applying again changes nothing;
 * - already compliant ⇒ `NO_ACTION`; resource gone ⇒ `NO_ACTION`;
 * - the last step failing (its calls denied) ⇒ configuration fixes compensate what was done, back to the prior state;
 *   containment keeps it;
 * - rollback (every changed step undone, newest first) ⇒ the prior state exactly, as the rollback workflow judges
 *   it (`stateDifferences`: a read time and what AWS changes by itself, under `State`, are not compared).
 *
 * A playbook's setup lives in `setups/<id>.ts`; each one found there runs, and a kit playbook without one fails. User
 * playbooks' setups (`examples/playbooks/*.setup.ts`, `REMEDIATOR_PLAYBOOK_SETUPS`) run through the same cases.
 */
import { randomUUID } from 'node:crypto';
import { createRemediationActivities } from '../../src/activities/remediation-activities';
import { AwsClients } from '../../src/aws/clients';
import type { MotoServer } from '../../src/devstack/moto-server';
import type { Finding } from '../../src/domain/finding';
import type { PriorState } from '../../src/domain/remediation';
import { stateDifferences } from '../../src/domain/rollback';
import { kitHandler } from '../../src/kit/kit-handler';
import { KIT_PLAYBOOKS } from '../../src/playbooks';
import { checkDeclaration } from '../../src/playbooks/load-playbook-modules';
import { runActivity as run, runActivityAttempt } from '../helpers/activity-env';
import { FIXTURE_ACCOUNT, FIXTURE_REGION, TEST_CREDENTIALS } from '../helpers/aws';
import { startAwsFaultProxy } from '../helpers/aws-fault-proxy';
import type { AwsFaultProxy } from '../helpers/aws-fault-proxy';
import { startSuiteMoto } from '../helpers/servers';
import type { ConformanceEnv } from './conformance-setup';
import { SETUPS, USER_SETUPS } from './setups';

let moto: MotoServer;
let proxy: AwsFaultProxy;
let clients: AwsClients;

beforeAll(async () => {
  moto = await startSuiteMoto();
  proxy = await startAwsFaultProxy(moto.endpoint);
  clients = new AwsClients({ endpoint: proxy.endpoint, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
});
afterAll(async () => {
  clients?.destroy();
  await proxy?.close();
  await moto?.stop();
});
afterEach(() => proxy.clearRules());

const env = (): ConformanceEnv => ({
  endpoint: moto.endpoint,
  account: FIXTURE_ACCOUNT,
  region: FIXTURE_REGION,
  unique: `cf${randomUUID().slice(0, 8)}`,
});

it('every kit playbook has a conformance setup, and every setup is a kit playbook', () => {
  expect(SETUPS.map((s) => s.playbook.id).sort()).toEqual(KIT_PLAYBOOKS.map((p) => p.id).sort());
});

it('runs the user playbooks through the same cases, each a declaration the worker would load', () => {
  expect(USER_SETUPS.map((s) => s.playbook.id)).toContain('s3-bucket-versioning');
  for (const { playbook } of USER_SETUPS) {
    expect(checkDeclaration(playbook, playbook.id)).toBe(playbook);
  }
});

/** Playbooks that fix something; the others (no steps) only escalate, tested at the end. */
const FIXING = [...SETUPS, ...USER_SETUPS].filter((s) => s.playbook.steps.length > 0);
const ESCALATING = [...SETUPS, ...USER_SETUPS].filter((s) => s.playbook.steps.length === 0);

describe.each(FIXING.map((s) => [s.playbook.id, s] as const))('%s', (id, setup) => {
  const activities = () => createRemediationActivities({ [id]: kitHandler(setup.playbook, clients) });
  const request = (finding: Finding) => ({
    finding,
    playbook: id,
    ...(setup.options ? { options: setup.options } : {}),
  });
  /** The state as the playbook reads it, straight from moto's current data. */
  const stateOf = async (finding: Finding): Promise<PriorState> =>
    run(activities().capturePriorState, request(finding));
  /** Analysis, prior state and every planned step applied: what a remediation does. */
  const fix = async (finding: Finding) => {
    const a = activities();
    const analysis = await run(a.analyze, request(finding));
    const prior = await run(a.capturePriorState, request(finding));
    const changes = [];
    for (const { step } of analysis.plan) {
      changes.push(await run(a.applyStep, { ...request(finding), step, prior }));
    }
    return { analysis, prior, changes };
  };

  it('non-compliant: planned, fixed, verified by a fresh read; applying again changes nothing', async () => {
    const finding = await setup.nonCompliant(env());
    const { analysis, prior, changes } = await fix(finding);
    expect(['remediate', 'needs_approval']).toContain(analysis.verdict);
    expect(analysis.plan.length).toBeGreaterThan(0);
    expect(setup.playbook.state.safeParse(prior).success).toBe(true);
    expect(changes.every((c) => c.changed)).toBe(true);

    await setup.settle?.(env(), finding);
    const verification = await run(activities().verify, request(finding));
    expect(verification).toMatchObject({ passed: true });
    const again = [];
    for (const { step } of analysis.plan) {
      again.push(await run(activities().applyStep, { ...request(finding), step, prior }));
    }
    expect(again.map((c) => c.changed)).toEqual(analysis.plan.map(() => false));
  });

  it('a retry finding its change made by the attempt that timed out records it as changed, so rollback undoes it', async () => {
    const finding = await setup.nonCompliant(env());
    const { analysis, prior } = await fix(finding);
    const retried = [];
    for (const { step } of analysis.plan) {
      const retry = { attempt: 2, heartbeatDetails: { applying: step } };
      retried.push(
        await runActivityAttempt(retry, activities().applyStep, { ...request(finding), step, prior }),
      );
    }
    expect(retried.map((c) => [c.changed, c.detail.startsWith('done by an earlier attempt')])).toEqual(
      analysis.plan.map(() => [true, true]),
    );
    for (const change of [...retried].reverse()) {
      await run(activities().compensateStep, { ...request(finding), step: change.step, prior });
    }
    expect(stateDifferences(prior, await stateOf(finding))).toEqual([]);
  });

  it('a retry whose earlier attempt never started the change does not take a change it finds made for its own', async () => {
    const finding = await setup.nonCompliant(env());
    const { analysis, prior } = await fix(finding);
    const retried = [];
    for (const { step } of analysis.plan) {
      // The attempt before failed earlier (its read throttled): whoever made the change, it is not this one's.
      retried.push(
        await runActivityAttempt({ attempt: 2 }, activities().applyStep, {
          ...request(finding),
          step,
          prior,
        }),
      );
    }
    expect(retried.map((c) => c.changed)).toEqual(analysis.plan.map(() => false));
  });

  it('already compliant: NO_ACTION, and nothing sent that changes anything', async () => {
    if (!setup.compliant) throw new Error(`${id}: a playbook with steps needs a compliant setup`);
    const finding = await setup.compliant(env());
    const before = proxy.calls.length;
    const analysis = await run(activities().analyze, request(finding));
    expect(analysis).toMatchObject({ verdict: 'no_action', plan: [] });
    expect(proxy.calls.slice(before).filter((c) => c.mutating)).toEqual([]);
  });

  const gone = setup.gone;
  if (gone) {
    it('resource gone: NO_ACTION', async () => {
      const analysis = await run(activities().analyze, request(gone(env())));
      expect(analysis).toMatchObject({
        verdict: 'no_action',
        reason: expect.stringContaining('no longer exists'),
      });
    });
  }

  it('the last step failing: compensated back to the prior state, or kept for containment', async () => {
    const finding = await setup.nonCompliant(env());
    const a = activities();
    const analysis = await run(a.analyze, request(finding));
    const prior = await run(a.capturePriorState, request(finding));
    const steps = analysis.plan.map((p) => p.step);
    const done = [];
    for (const step of steps.slice(0, -1))
      done.push(await run(a.applyStep, { ...request(finding), step, prior }));
    proxy.addRule({ mutating: true, fault: { kind: 'deny' } });
    const failure = await run(a.applyStep, { ...request(finding), step: steps.at(-1)!, prior }).catch(
      (e: unknown) => e,
    );
    proxy.clearRules();
    expect(failure).toMatchObject({ nonRetryable: true });

    if (setup.playbook.kind === 'containment') {
      for (const step of [...done].reverse()) expect(step.changed).toBe(true);
      return;
    }
    for (const step of [...done].reverse()) {
      await run(a.compensateStep, { ...request(finding), step: step.step, prior });
    }
    expect(stateDifferences(prior, await stateOf(finding))).toEqual([]);
  });

  it('rollback: every changed step undone, newest first, gives the prior state exactly', async () => {
    const finding = await setup.nonCompliant(env());
    const { prior, changes } = await fix(finding);
    for (const change of [...changes].reverse().filter((c) => c.changed)) {
      await run(activities().compensateStep, { ...request(finding), step: change.step, prior });
    }
    expect(stateDifferences(prior, await stateOf(finding))).toEqual([]);
    // Undoing again is harmless.
    const again = await run(activities().compensateStep, {
      ...request(finding),
      step: changes[0]!.step,
      prior,
    });
    expect(again.changed).toBe(false);
  });
});

describe.each(ESCALATING.map((s) => [s.playbook.id, s] as const))('%s (escalation only)', (id, setup) => {
  it('escalates every finding with its summary, and sends nothing that changes anything', async () => {
    const finding = await setup.nonCompliant(env());
    const before = proxy.calls.length;
    const analysis = await run(
      createRemediationActivities({ [id]: kitHandler(setup.playbook, clients) }).analyze,
      { finding, playbook: id },
    );
    expect(analysis).toMatchObject({ verdict: 'cannot_fix', plan: [] });
    expect(analysis.reason).toContain(finding.title);
    expect(analysis.reason).toContain(finding.control);
    expect(proxy.calls.slice(before).filter((c) => c.mutating)).toEqual([]);
  });
});
