/**
 * A kit declaration as the activity-side `PlaybookHandler` the workflow drives (docs/architecture.md, Playbook kit):
 *
 * - analyse: read; gone ⇒ `no_action`; compliant (by default: no step's `plan` says anything) ⇒ `no_action`; else
 *   the steps whose `plan` says something are the plan; `cannotFix` ⇒ `cannot_fix`; `needsApproval` ⇒
 *   `needs_approval`. The state read is the observation.
 * - prior state: the same read (or the analysis' observation of it, checked against the schema).
 * - apply: a fresh read first; a step no longer `needed` (by default: that no longer plans anything) reports
 *   `changed: false` without calling AWS, so a retried or replayed apply never repeats a change.
 * - undo: the step's own undo from the recorded prior state (checked against the schema), with a fresh read.
 * - verify: one fresh read; passed when `stillWrong` finds nothing (by default: no step plans anything). The verify
 *   activity repeats it within the window until it passes (activities/verification-polling.ts).
 *
 * Every AWS failure is classified once (`classified`): permanent ones fail the activity at once, others retry.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { AwsClients } from '../aws/clients';
import type { Finding } from '../domain/finding';
import type { Analysis, PriorState, StepResult, Verification } from '../domain/remediation';
import { classified } from '../activities/aws-errors';
import type { CallContext, PlaybookHandler } from '../activities/playbooks/playbook-handler';
import { assertKnownStep } from '../activities/playbooks/steps';
import type { KitIo, KitPhase, KitPlaybook, KitStep } from './playbook-kit';

/** Global resources (IAM) report the region `global`; their clients use us-east-1, as the SDK's global endpoints do. */
const regionOf = (finding: Finding) =>
  finding.resource.region === 'global' ? 'us-east-1' : finding.resource.region;

/**
 * Builds the handler of `playbook` over `clients`: calls use the role of its family (`clients.forFamily`), and those
 * it borrows the role of the family it names.
 */
export function kitHandler<S extends Record<string, unknown>>(
  playbook: KitPlaybook<S>,
  clients: AwsClients,
): PlaybookHandler {
  const own = clients.forFamily(playbook.roleFamily);
  const borrowed = playbook.borrows ? clients.forFamily(playbook.borrows.family) : undefined;
  const io = (finding: Finding, ctx: CallContext, phase: KitPhase): KitIo => ({
    phase,
    finding,
    resource: finding.resource,
    options: ctx.options ?? {},
    ...(ctx.abortSignal ? { abortSignal: ctx.abortSignal } : {}),
    ...(ctx.deadline !== undefined ? { deadline: ctx.deadline } : {}),
    client: (make) => own.client(make, finding.resource.account, regionOf(finding)),
    borrowedClient: (make) => {
      if (!borrowed) throw new Error(`Playbook ${playbook.id} borrows no other family's role`);
      return borrowed.client(make, finding.resource.account, regionOf(finding));
    },
  });
  const where = (finding: Finding) =>
    `${finding.resource.resourceType} ${finding.resource.resourceId} (${finding.resource.account}/${finding.resource.region})`;
  const read = (finding: Finding, ctx: CallContext, phase: KitPhase, action: string) =>
    classified(`${action} (${playbook.id})`, () => playbook.read(io(finding, ctx, phase)));

  /** The recorded state, checked against the schema: history is data, never trusted to have the right shape. */
  const recorded = (prior: PriorState, what: string): S => {
    const parsed = playbook.state.safeParse(prior);
    if (parsed.success) return parsed.data;
    throw ApplicationFailure.create({
      message: `${playbook.id}: the recorded ${what} does not match the playbook's state: ${parsed.error.message}`,
      type: 'InvalidPriorState',
      nonRetryable: true,
    });
  };
  const stepIds = playbook.steps.map((s) => s.id);
  const stepOf = (id: string): KitStep<S> => {
    assertKnownStep(playbook.id, id, stepIds);
    return playbook.steps.find((s) => s.id === id) as KitStep<S>;
  };
  const gone = (finding: Finding, action: string) =>
    ApplicationFailure.create({
      message: `${action} (${playbook.id}): ${where(finding)} no longer exists`,
      type: 'ResourceGone',
      nonRetryable: true,
    });
  const pending = (state: S, kit: KitIo) =>
    playbook.steps.flatMap((s) => {
      const description = s.plan(state, kit);
      return description === undefined ? [] : [{ step: s.id, description }];
    });
  /** Nothing to do: the playbook's own test, else no step plans anything. */
  const compliant = (state: S, kit: KitIo) =>
    playbook.compliant ? playbook.compliant(state, kit) : pending(state, kit).length === 0;
  /** What verification still finds wrong, or `undefined`. */
  const stillWrong = (state: S, kit: KitIo): string | undefined => {
    if (playbook.stillWrong) return playbook.stillWrong(state, kit);
    if (playbook.compliant) return playbook.compliant(state, kit) ? undefined : playbook.describe(state);
    const left = pending(state, kit);
    return left.length === 0 ? undefined : `still needed: ${left.map((p) => p.description).join('; ')}`;
  };
  const needed = (step: KitStep<S>, current: S, prior: S, kit: KitIo) =>
    step.needed ? step.needed(current, prior, kit) : step.plan(current, kit) !== undefined;

  return {
    async analyze(finding, ctx): Promise<Analysis> {
      const state = await read(finding, ctx, 'analyse', 'analyse');
      if (state === undefined) {
        return { verdict: 'no_action', reason: `${where(finding)} no longer exists`, plan: [], observed: {} };
      }
      const kit = io(finding, ctx, 'analyse');
      const observed: Record<string, unknown> = state;
      const plan = pending(state, kit);
      // A playbook without steps only escalates: there is no compliant state to find.
      if (playbook.steps.length > 0 && compliant(state, kit)) {
        return {
          verdict: 'no_action',
          reason: `${where(finding)} is compliant: ${playbook.describe(state)}`,
          plan: [],
          observed,
        };
      }
      const refusal =
        playbook.cannotFix?.(state, kit) ??
        (playbook.steps.length === 0 ? `${where(finding)}: ${playbook.describe(state)}` : undefined);
      if (refusal !== undefined) return { verdict: 'cannot_fix', reason: refusal, plan: [], observed };
      const approval = playbook.needsApproval?.(state, kit);
      const reason = `${where(finding)}: ${playbook.describe(state)}`;
      return approval !== undefined
        ? { verdict: 'needs_approval', reason: `${reason}; ${approval}`, plan, observed }
        : { verdict: 'remediate', reason, plan, observed };
    },

    async capturePriorState(finding, ctx): Promise<PriorState> {
      const state = await read(finding, ctx, 'record', 'record the prior state');
      if (state === undefined) throw gone(finding, 'record the prior state');
      return state;
    },

    stateFromObserved(observed): PriorState | undefined {
      const parsed = playbook.state.safeParse(observed);
      return parsed.success ? parsed.data : undefined;
    },

    async applyStep(stepId, finding, prior, ctx): Promise<StepResult> {
      const step = stepOf(stepId);
      const before = recorded(prior, 'prior state');
      const current = await read(finding, ctx, 'apply', `read before ${stepId}`);
      if (current === undefined) throw gone(finding, stepId);
      const kit = io(finding, ctx, 'apply');
      // A change found made is this remediation's only on a retry whose previous attempt had started this step (it
      // heartbeated so just before its first change) and where the recorded state needed it: that attempt made it
      // and timed out after AWS had done it, and rollback must undo it. Without that mark, whoever made it, it is
      // not ours to undo.
      const ours =
        (ctx.attempt ?? 1) > 1 &&
        ctx.previousAttemptApplying === stepId &&
        step.plan(before, kit) !== undefined;
      if (!needed(step, current, before, kit)) {
        // Nothing left to do: already so, or made by the attempt before (see `ours`).
        return ours
          ? {
              step: stepId,
              changed: true,
              detail: `done by an earlier attempt: ${playbook.describe(current)}`,
            }
          : { step: stepId, changed: false, detail: `already done: ${playbook.describe(current)}` };
      }
      await ctx.markApplying?.(stepId);
      const change = await classified(`${stepId} (${playbook.id})`, () => step.apply(kit, current, before));
      // An apply that finds nothing left to do by its own finer check (a snapshot already taken) is judged the same.
      if (!change.changed && ours) {
        return {
          step: stepId,
          ...change,
          changed: true,
          detail: `done by an earlier attempt: ${change.detail}`,
        };
      }
      return { step: stepId, ...change };
    },

    async compensateStep(stepId, finding, prior, ctx): Promise<StepResult> {
      const step = stepOf(stepId);
      const before = recorded(prior, 'prior state');
      const current = await read(finding, ctx, 'undo', `read before undoing ${stepId}`);
      if (current === undefined) {
        return {
          step: stepId,
          changed: false,
          detail: `${where(finding)} no longer exists: nothing to restore`,
        };
      }
      const change = await classified(`undo ${stepId} (${playbook.id})`, () =>
        step.undo(io(finding, ctx, 'undo'), before, current),
      );
      return { step: stepId, ...change };
    },

    async verify(finding, ctx): Promise<Verification> {
      const state = await read(finding, ctx, 'verify', 'verify');
      const at = new Date().toISOString();
      // A resource gone, or a containment found undone (and put right), is final: reading again cannot change it.
      if (state === undefined) {
        return {
          passed: false,
          detail: `${where(finding)} no longer exists`,
          observed: {},
          at,
          conclusive: true,
        };
      }
      const kit = io(finding, ctx, 'verify');
      const repaired = playbook.repairOnVerify
        ? await classified(`repair (${playbook.id})`, () => playbook.repairOnVerify!(kit, state))
        : [];
      const wrong =
        repaired.length > 0 ? `found undone and repaired: ${repaired.join('; ')}` : stillWrong(state, kit);
      const detail = `${where(finding)}: ${playbook.describe(state)}`;
      if (wrong === undefined) return { passed: true, detail, observed: state, at };
      return {
        passed: false,
        detail: `${detail}; ${wrong}`,
        observed: state,
        at,
        ...(repaired.length > 0 ? { conclusive: true } : {}),
      };
    },
    ...(playbook.verifyBackoff ? { verifyBackoff: playbook.verifyBackoff } : {}),
  };
}
