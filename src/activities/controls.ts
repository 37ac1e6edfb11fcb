/**
 * The remediation's admission check before its first change: the exemption tag on the resource, then the control
 * workflow's exemptions, pauses, flap detection and breaker (by update-with-start, so the control plane exists the
 * first time it is needed, and an idempotent update id, so a retried activity is counted once).
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { UpdateDefinition } from '@temporalio/common';
import type { AwsClients } from '../aws/clients';
import { admit, EMPTY_CONTROL_STATE, managedBy } from '../domain/controls';
import type { AdmissionDecision } from '../domain/controls';
import type { Finding } from '../domain/finding';
import type { WindowLimit } from '../domain/policy';
import type { Exemption } from '../domain/controls';
import type { ExemptRequest } from '../domain/control-decisions';
import { controlWorkflowStart } from '../temporal/control-start';
import {
  admitUpdate,
  CONTROLS_MEMO_KEY,
  controlWorkflowId,
  exemptUpdate,
} from '../workflows/control-definitions';
import type { PublishedControls } from '../workflows/control-definitions';
import { classified } from './aws-errors';
import { resourceTags } from './resource-tags';
import { withUpdateBackpressure } from './update-backpressure';
import { activityAbortSignal } from './abort-signal';
import type { PolicySource } from './worker-settings';

/** What the admission check needs. */
export interface ControlDeps {
  readonly clients: AwsClients;
  /** Client of the worker's own namespace: the control workflow runs on the worker's task queue. */
  readonly temporal: Client;
  /** The worker's own policy (its protected tag). */
  readonly policyFor: PolicySource;
}

/** One remediation's request to make its first change. */
export interface ControlCheckRequest {
  readonly workflowId: string;
  readonly finding: Finding;
  readonly playbook: string;
  /** The exemption tag to look for; absent for containment playbooks (a compromised principal can write tags). */
  readonly exemptionTagKey?: string;
  readonly breaker?: WindowLimit;
  readonly flapping?: WindowLimit;
  /** Counts the asks of this remediation (a held one asks again after a resume); part of the update id. */
  readonly attempt?: number;
}

/** The decision, and what manages the resource when its tags say so (named in a flapping escalation). */
export interface ControlCheck {
  readonly decision: AdmissionDecision;
  readonly managedBy?: string;
  /**
   * How the control plane was asked: `published` read its memo (no update), `update` asked it by update (counted,
   * billable), `tag` never reached it (the exemption tag decided).
   */
  readonly asked: 'published' | 'update' | 'tag';
}

/**
 * Every update an activity sends the control workflow: update-with-start (so the control plane exists the first time
 * it is needed) under an idempotent id, asked again while the server refuses it for too many updates in flight.
 */
function askControlPlane<Ret, Args extends unknown[]>(
  deps: ControlDeps,
  update: UpdateDefinition<Ret, Args>,
  args: Args,
  updateId: string,
): Promise<Ret> {
  const ctx = Context.current();
  return withUpdateBackpressure(
    () =>
      deps.temporal.workflow.executeUpdateWithStart(update, {
        args,
        updateId,
        startWorkflowOperation: controlWorkflowStart(ctx.info.taskQueue),
      }),
    activityAbortSignal(),
    (attempt, waitMs) => {
      if (attempt === 1 || attempt % 10 === 0)
        ctx.log.info('The control workflow is busy; asking again', { update: update.name, attempt, waitMs });
    },
  );
}

/** Builds `checkControls`. */
export function createControlActivities(deps: ControlDeps) {
  return {
    /** Records an exemption (a rollback grants one so the resource is not re-remediated at once). */
    async grantExemption(exemption: ExemptRequest): Promise<Exemption> {
      const { workflowExecution } = Context.current().info;
      return askControlPlane(
        deps,
        exemptUpdate,
        [exemption],
        `exempt/${workflowExecution?.workflowId ?? '?'}/${workflowExecution?.runId ?? '?'}`,
      );
    },

    /** Decides whether the remediation may go on to change the resource. */
    async checkControls(request: ControlCheckRequest): Promise<ControlCheck> {
      const ctx = Context.current();
      const tags = await classified('read resource tags', () =>
        resourceTags(deps.clients, request.finding, activityAbortSignal()),
      );
      const managed = managedBy(tags);
      // The protected tag is the worker's own setting; it wins over everything, exemptions included.
      const { protectedTagKey } = deps.policyFor(ctx.info.taskQueue).trust;
      if (protectedTagKey in tags) {
        return {
          decision: {
            decision: 'protected',
            reason: `the resource carries the protected tag ${protectedTagKey}: never changed automatically`,
          },
          ...(managed ? { managedBy: managed } : {}),
          asked: 'tag',
        };
      }
      const tagKey = request.exemptionTagKey;
      if (tagKey !== undefined && tagKey in tags) {
        const value = tags[tagKey] ? `=${tags[tagKey]}` : '';
        return {
          decision: {
            decision: 'exempt',
            reason: `the resource carries the exemption tag ${tagKey}${value}`,
          },
          ...(managed ? { managedBy: managed } : {}),
          asked: 'tag',
        };
      }
      const { taskQueue, workflowExecution } = ctx.info;
      if (!request.breaker && !request.flapping) {
        // Nothing to count: the published exemptions and pauses decide, read without an update (an update is a
        // billable action and a write to the control plane's history). Anything but `proceed` goes through the
        // update below, which is authoritative and remembers a held remediation to wake on resume.
        const published = await publishedControls(deps.temporal, taskQueue);
        if (published) {
          const { decision } = admit(
            { ...EMPTY_CONTROL_STATE, ...published },
            {
              workflowId: request.workflowId,
              resource: request.finding.resource,
              playbook: request.playbook,
            },
            new Date(),
          );
          if (decision.decision === 'proceed') {
            ctx.log.info('Admission', { workflowId: request.workflowId, decision: 'proceed', read: 'memo' });
            return { decision, ...(managed ? { managedBy: managed } : {}), asked: 'published' };
          }
        }
      }
      try {
        const decision = await askControlPlane(
          deps,
          admitUpdate,
          [
            {
              workflowId: request.workflowId,
              resource: request.finding.resource,
              playbook: request.playbook,
              ...(request.breaker ? { breaker: request.breaker } : {}),
              ...(request.flapping ? { flapping: request.flapping } : {}),
            },
          ],
          // One admission per ask: a retried activity gets the first answer and is counted once.
          `admit/${request.workflowId}/${workflowExecution?.runId ?? 'no-run'}/${request.finding.eventId}/${request.attempt ?? 1}`,
        );
        ctx.log.info('Admission', { workflowId: request.workflowId, decision: decision.decision });
        return { decision, ...(managed ? { managedBy: managed } : {}), asked: 'update' };
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) {
          throw ApplicationFailure.nonRetryable(
            `the control workflow refused the admission: ${err.message}`,
            'AdmissionRefused',
          );
        }
        throw err;
      }
    },
  };
}

/**
 * The control plane's published exemptions and pauses: empty when it has never run, `undefined` when a run from
 * before publishing holds them only in memory (ask it by update then).
 */
async function publishedControls(
  temporal: Client,
  taskQueue: string,
): Promise<PublishedControls | undefined> {
  try {
    const described = await temporal.workflow.getHandle(controlWorkflowId(taskQueue)).describe();
    if (described.status.name !== 'RUNNING') return { exemptions: [], pauses: [] };
    const memo = described.memo?.[CONTROLS_MEMO_KEY] as PublishedControls | undefined;
    return memo && Array.isArray(memo.exemptions) && Array.isArray(memo.pauses) ? memo : undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { exemptions: [], pauses: [] };
    throw err;
  }
}
