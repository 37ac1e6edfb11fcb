/**
 * The control workflow: one per task queue, the single writer of exemptions, pauses and admission counts. Admission
 * goes through an update, so counts are exact however many remediations ask at once (visibility would lag), and the
 * state survives anything the server survives. It continues as new when its history grows, carrying its state.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import { admit, EMPTY_CONTROL_STATE, pruned } from '../domain/controls';
import type { AdmissionRequest, ControlState, Exemption, Pause } from '../domain/controls';
import {
  CONTROLS_MEMO_KEY,
  admitUpdate,
  controlStateQuery,
  exemptUpdate,
  pauseUpdate,
  resumeSignal,
  resumeUpdate,
} from './control-definitions';

/** What continue-as-new carries over. */
export interface ControlInput {
  readonly state: ControlState;
  /** Remediations held by a pause, to wake when it is lifted. */
  readonly held: readonly string[];
}

/** Admissions are remembered this long at most: the longest breaker or flap window the policy schema allows. */
const LONGEST_WINDOW_MS = 30 * 24 * 3600 * 1000;
/** Continue as new well before the server's history limits. */
const MAX_HISTORY_EVENTS = 10_000;

function required(value: unknown, what: string): void {
  if (typeof value !== 'string' || value.trim() === '') throw new Error(`${what} is required`);
}

/** Runs the control plane until its history is long, then continues as new with the same state. */
export async function remediationControlWorkflow(input?: ControlInput): Promise<void> {
  let state = input?.state ?? EMPTY_CONTROL_STATE;
  const held = new Set(input?.held ?? []);
  /**
   * Publishes exemptions and pauses in the memo after every change, so a remediation whose policy has no breaker or
   * flap limit is admitted by reading it (DescribeWorkflowExecution: no update, no billable action).
   */
  const publish = (): void => {
    upsertMemo({ [CONTROLS_MEMO_KEY]: { exemptions: state.exemptions, pauses: state.pauses } });
  };
  publish();

  setHandler(
    admitUpdate,
    (request) => {
      const now = new Date();
      const result = admit(pruned(state, now, LONGEST_WINDOW_MS), request, now);
      state = result.state;
      if (result.decision.decision === 'paused') held.add(request.workflowId);
      log.info('Admission decided', {
        workflowId: request.workflowId,
        playbook: request.playbook,
        decision: result.decision.decision,
      });
      return result.decision;
    },
    {
      validator: (request: AdmissionRequest) => {
        required(request?.workflowId, 'workflowId');
        required(request?.playbook, 'playbook');
        required(request?.resource?.account, 'resource.account');
      },
    },
  );

  setHandler(
    exemptUpdate,
    (exemption) => {
      const recorded = { ...exemption, at: new Date().toISOString() };
      state = {
        ...pruned(state, new Date(), LONGEST_WINDOW_MS),
        exemptions: [...state.exemptions.filter((e) => e.resource !== exemption.resource), recorded],
      };
      publish();
      log.info('Exemption recorded', {
        resource: exemption.resource,
        until: exemption.until,
        by: exemption.by,
      });
      return recorded;
    },
    {
      validator: (exemption: Omit<Exemption, 'at'>) => {
        required(exemption?.resource, 'resource');
        required(exemption?.reason, 'reason');
        required(exemption?.by, 'by');
        const until = Date.parse(exemption.until);
        if (Number.isNaN(until)) throw new Error(`until '${String(exemption.until)}' is not a time`);
        if (until <= Date.now()) throw new Error(`until ${exemption.until} is in the past`);
      },
    },
  );

  setHandler(
    pauseUpdate,
    (pause) => {
      const recorded = { ...pause, at: new Date().toISOString() };
      const same = (p: { playbook?: string; account?: string }) =>
        p.playbook === pause.playbook && p.account === pause.account;
      state = { ...state, pauses: [...state.pauses.filter((p) => !same(p)), recorded] };
      publish();
      log.info('Paused', { playbook: pause.playbook ?? '*', account: pause.account ?? '*', by: pause.by });
      return recorded;
    },
    {
      validator: (pause: Omit<Pause, 'at'>) => {
        required(pause?.reason, 'reason');
        required(pause?.by, 'by');
      },
    },
  );

  setHandler(
    resumeUpdate,
    async (scope) => {
      const before = state.pauses.length;
      state = {
        ...state,
        pauses: state.pauses.filter((p) => !(p.playbook === scope.playbook && p.account === scope.account)),
      };
      publish();
      // Wake every held remediation: each asks again and stays held if another pause still covers it.
      let released = 0;
      for (const workflowId of [...held]) {
        held.delete(workflowId);
        try {
          await getExternalWorkflowHandle(workflowId).signal(resumeSignal);
          released += 1;
        } catch {
          // It finished (or was terminated) while held: nothing to wake.
        }
      }
      log.info('Resumed', { lifted: before - state.pauses.length, released, by: scope.by });
      return { lifted: before - state.pauses.length, released };
    },
    { validator: (scope: { by: string }) => required(scope?.by, 'by') },
  );

  setHandler(controlStateQuery, () => state);

  await condition(
    () => workflowInfo().historyLength > MAX_HISTORY_EVENTS || workflowInfo().continueAsNewSuggested,
  );
  await condition(allHandlersFinished);
  await continueAsNew<typeof remediationControlWorkflow>({ state, held: [...held] });
}
