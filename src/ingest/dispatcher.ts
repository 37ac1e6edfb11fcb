/**
 * Sends a routed finding to its resource's execution: signal-with-start for failed findings, a plain signal for
 * compliant ones (which never start an execution).
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Client, WorkflowStartOptions } from '@temporalio/client';
import { remediationWorkflowId } from '../domain/finding';
import type { RoutedFinding } from '../domain/finding';
import { findingSearchAttributes } from '../domain/search-attributes';
import { findingSignal, REMEDIATION_WORKFLOW_TYPE } from '../workflows/definitions';
import type { RemediationInput } from '../workflows/definitions';

/** What happened to a dispatched finding. */
export type DispatchResult =
  { kind: 'delivered'; workflowId: string; runId?: string } | { kind: 'not-running'; workflowId: string };

/**
 * The start options of a routed finding's execution: its id, the input (the resource and the policy version the
 * ingest holds), the search attributes and the UI summary. The input carries no settings: it is a request, and the
 * worker runs with its own policy (docs/architecture.md, Trust model). What signal-with-start sends (with the finding
 * as the signal), and what the benchmark's raw starts send, so the two are compared on the same payload.
 */
export function remediationStartOptions(
  routed: RoutedFinding,
  taskQueue: string,
  policyVersion?: string,
): WorkflowStartOptions & { workflowId: string } {
  const { finding } = routed;
  const input: RemediationInput = {
    resource: finding.resource,
    ...(policyVersion !== undefined ? { policyVersion } : {}),
  };
  return {
    workflowId: remediationWorkflowId(finding.resource),
    taskQueue,
    args: [input],
    typedSearchAttributes: findingSearchAttributes(finding, routed.playbook, 'ANALYZING'),
    staticSummary: `${routed.playbook} · ${finding.resource.resourceId}`,
    staticDetails: `**${finding.title}**\n\nResource \`${finding.resource.resourceType}\` \`${finding.resource.resourceId}\` in account ${finding.resource.account}, region ${finding.resource.region}. First finding: event \`${finding.eventId}\`.`,
  };
}

/**
 * Delivers findings to Temporal. `policyVersion` (`policyVersion(policy)` of the policy the ingest routed with) goes
 * into each start's input so the worker can log a requester that saw another policy; the worker's own policy applies.
 */
export class FindingDispatcher {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly policyVersion?: string,
  ) {}

  /** Signal-with-start: starts the resource's execution if none runs, then delivers the finding to it. */
  async start(routed: RoutedFinding): Promise<DispatchResult> {
    const options = remediationStartOptions(routed, this.taskQueue, this.policyVersion);
    const handle = await this.client.workflow.signalWithStart(REMEDIATION_WORKFLOW_TYPE, {
      ...options,
      signal: findingSignal,
      signalArgs: [routed],
    });
    return { kind: 'delivered', workflowId: options.workflowId, runId: handle.signaledRunId };
  }

  /** Signals a running execution only; reports `not-running` instead of starting one. */
  async signalOnly(routed: RoutedFinding): Promise<DispatchResult> {
    const workflowId = remediationWorkflowId(routed.finding.resource);
    try {
      await this.client.workflow.getHandle(workflowId).signal(findingSignal, routed);
      return { kind: 'delivered', workflowId };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { kind: 'not-running', workflowId };
      throw err;
    }
  }
}
