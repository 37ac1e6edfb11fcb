/**
 * The control workflow: one per task queue, the single writer of exemptions, pauses and admission counts. Admission
 * goes through an update, so counts are exact however many remediations ask at once (visibility would lag), and the
 * state survives anything the server survives. It continues as new when its history grows, carrying its state.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import { exemptClaim, pauseClaim, resumeClaim } from '../domain/control-decisions';
import type { ExemptRequest, PauseRequest, ResumeRequest, SignedRequest } from '../domain/control-decisions';
import { admit, approversOf, EMPTY_CONTROL_STATE, pruned, resourceKey } from '../domain/controls';
import type { AdmissionRequest, ControlState, Exemption, Pause } from '../domain/controls';
import type { DecisionClaim } from '../domain/decision';
import { activitiesWith } from './activity-proxies';
import { checkDecision } from './decision-check';
import { pageSecurity } from './security-page';
import {
  CONTROLS_MEMO_KEY,
  admitUpdate,
  controlWorkflowId,
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
  /** Ids of signed requests already taken: a signed request is good once. */
  readonly seen?: readonly string[];
}

/** How many used request ids are remembered. */
const MAX_SEEN_REQUESTS = 1000;

/** Control activities (asking a rollback who approved it): quick tries. */
const CONTROL_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '20s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 4 },
};

/** A refused decision: fails the update with the reason, changes nothing. */
function refusal(reason: string): ApplicationFailure {
  return ApplicationFailure.create({
    message: `refused: ${reason}`,
    type: 'DecisionRefused',
    nonRetryable: true,
  });
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
  // Ids of signed requests already taken (bounded; a signature is good for 5 minutes anyway).
  const seen = new Set(input?.seen ?? []);
  const remember = (id: string): void => {
    seen.add(id);
    if (seen.size > MAX_SEEN_REQUESTS) seen.delete(seen.values().next().value as string);
  };
  /** Every exemption and pause pages on-call and is audited: they switch remediation off. */
  const page = (what: string, reason: string, resource?: string): Promise<void> => {
    const [account = 'n/a', region = 'n/a', resourceType = `remediator::${what}`, ...id] =
      resource?.split('/') ?? [];
    return pageSecurity({
      resource: { account, region, resourceType, resourceId: id.join('/') || what },
      status: 'EXEMPT',
      reason,
      summary: `Page: ${what}`,
    });
  };
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

  /**
   * Who decided, as the worker verified it (docs/architecture.md, Trust model); throws the refusal, which fails the
   * update and changes nothing. A signed request is good once: its id is remembered.
   */
  const verified = async (claim: DecisionClaim, request: SignedRequest & { by: string }): Promise<string> => {
    // A signed request must name its id: an id-less one could be replayed for as long as its signature lasts.
    if (request.signature && !request.requestId) throw refusal('a signed request must carry its requestId');
    if (request.requestId && seen.has(request.requestId)) {
      throw refusal(`request ${request.requestId} was already used: sign a new one`);
    }
    const check = await checkDecision({
      claim,
      ...(request.signature ? { signature: request.signature } : {}),
      unsignedBy: request.by,
    });
    if (!check.accepted) throw refusal(check.reason);
    if (request.requestId) remember(request.requestId);
    return check.decider;
  };

  /** The deciders of a rollback's own exemption: those the rollback verified, read from the rollback itself. */
  const grantedByRollback = async (request: ExemptRequest): Promise<readonly string[]> => {
    // The rollback says how long it asked for; the exemption may not outlast that (plus a minute for the clock).
    const until = Date.parse(request.until);
    const grant = await activitiesWith(CONTROL_ACTIVITY_OPTIONS).rollbackGrant.executeWithOptions(
      { ...CONTROL_ACTIVITY_OPTIONS, summary: 'Ask the rollback who approved it' },
      [request.rollback ?? ''],
    );
    if (!grant.granted) throw refusal(grant.reason);
    if (resourceKey(grant.resource) !== request.resource) {
      throw refusal(
        `${request.rollback ?? ''} rolled back ${resourceKey(grant.resource)}, not ${request.resource}`,
      );
    }
    if (grant.exemptForMs <= 0 || until > Date.now() + grant.exemptForMs + 60_000) {
      throw refusal(
        `${request.rollback ?? ''} asked for an exemption of ${grant.exemptForMs} ms, not until ${request.until}`,
      );
    }
    return grant.approvedBy;
  };

  setHandler(
    exemptUpdate,
    async (request) => {
      const deciders = request.rollback
        ? await grantedByRollback(request)
        : [await verified(exemptClaim(controlWorkflowId(workflowInfo().taskQueue), request), request)];
      const now = new Date();
      const earlier = state.exemptions.find(
        (e) => e.resource === request.resource && Date.parse(e.until) > now.getTime(),
      );
      // A second, different decider adds to an exemption in force (a containment needs two), and can only shorten
      // it: what two people agreed on no one extends alone. The same decider again starts over on their own.
      const adds =
        earlier !== undefined && !request.rollback && !deciders.some((d) => approversOf(earlier).includes(d));
      const approvedBy = [...new Set([...(adds ? approversOf(earlier) : []), ...deciders])];
      const until =
        adds && Date.parse(earlier.until) < Date.parse(request.until) ? earlier.until : request.until;
      const recorded: Exemption = {
        resource: request.resource,
        until,
        reason: request.reason,
        by: deciders.join(' and '),
        at: now.toISOString(),
        approvedBy,
      };
      state = {
        ...pruned(state, now, LONGEST_WINDOW_MS),
        exemptions: [...state.exemptions.filter((e) => e.resource !== request.resource), recorded],
      };
      publish();
      log.info('Exemption recorded', { resource: request.resource, until, approvedBy });
      await page(
        'exemption',
        `exempted ${request.resource} until ${until} by ${recorded.by}: ${request.reason}`,
        request.resource,
      );
      return recorded;
    },
    {
      validator: (exemption: ExemptRequest) => {
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
    async (request) => {
      const decider = await verified(
        pauseClaim(controlWorkflowId(workflowInfo().taskQueue), request),
        request,
      );
      const recorded: Pause = {
        ...(request.playbook !== undefined ? { playbook: request.playbook } : {}),
        ...(request.account !== undefined ? { account: request.account } : {}),
        reason: request.reason,
        by: decider,
        at: new Date().toISOString(),
      };
      const same = (p: { playbook?: string; account?: string }) =>
        p.playbook === recorded.playbook && p.account === recorded.account;
      state = { ...state, pauses: [...state.pauses.filter((p) => !same(p)), recorded] };
      publish();
      const scope = `${recorded.playbook ?? 'every playbook'} in ${recorded.account ?? 'every account'}`;
      log.info('Paused', {
        playbook: recorded.playbook ?? '*',
        account: recorded.account ?? '*',
        by: decider,
      });
      await page('pause', `paused ${scope} by ${decider}: ${request.reason}`);
      return recorded;
    },
    {
      validator: (pause: PauseRequest) => {
        required(pause?.reason, 'reason');
        required(pause?.by, 'by');
      },
    },
  );

  setHandler(
    resumeUpdate,
    async (scope) => {
      const decider = await verified(resumeClaim(controlWorkflowId(workflowInfo().taskQueue), scope), scope);
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
      log.info('Resumed', { lifted: before - state.pauses.length, released, by: decider });
      return { lifted: before - state.pauses.length, released };
    },
    { validator: (scope: ResumeRequest) => required(scope?.by, 'by') },
  );

  setHandler(controlStateQuery, () => state);

  await condition(
    () => workflowInfo().historyLength > MAX_HISTORY_EVENTS || workflowInfo().continueAsNewSuggested,
  );
  await condition(allHandlersFinished);
  await continueAsNew<typeof remediationControlWorkflow>({ state, held: [...held], seen: [...seen] });
}
