/**
 * Sends a routed finding to its resource's execution: signal-with-start for failed findings, a plain signal for
 * compliant ones (which never start an execution).
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { remediationWorkflowId } from '../domain/finding';
import type { RoutedFinding } from '../domain/finding';
import type { ExecutionSettings } from '../domain/policy';
import { findingSearchAttributes } from '../domain/search-attributes';
import { findingSignal, REMEDIATION_WORKFLOW_TYPE } from '../workflows/definitions';
import type { RemediationInput } from '../workflows/definitions';

/** What happened to a dispatched finding. */
export type DispatchResult =
  { kind: 'delivered'; workflowId: string; runId?: string } | { kind: 'not-running'; workflowId: string };

/** Delivers findings to Temporal. */
export class FindingDispatcher {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly settings: ExecutionSettings,
  ) {}

  /** Signal-with-start: starts the resource's execution if none runs, then delivers the finding to it. */
  async start(routed: RoutedFinding): Promise<DispatchResult> {
    const { finding } = routed;
    const workflowId = remediationWorkflowId(finding.resource);
    const input: RemediationInput = { resource: finding.resource, settings: this.settings };
    const handle = await this.client.workflow.signalWithStart(REMEDIATION_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: this.taskQueue,
      args: [input],
      signal: findingSignal,
      signalArgs: [routed],
      typedSearchAttributes: findingSearchAttributes(finding, routed.playbook, 'ANALYZING'),
      staticSummary: `${routed.playbook} · ${finding.resource.resourceId}`,
      staticDetails: `**${finding.title}**\n\nResource \`${finding.resource.resourceType}\` \`${finding.resource.resourceId}\` in account ${finding.resource.account}, region ${finding.resource.region}. First finding: event \`${finding.eventId}\`.`,
    });
    return { kind: 'delivered', workflowId, runId: handle.signaledRunId };
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
