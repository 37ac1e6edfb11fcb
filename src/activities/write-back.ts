/**
 * After a verified fix, tell the detector: ask AWS Config to re-evaluate the rule (so it turns COMPLIANT without
 * waiting for its next periodic run) and resolve the Security Hub finding with a note linking the execution.
 */
import { StartConfigRulesEvaluationCommand } from '@aws-sdk/client-config-service';
import { BatchUpdateFindingsCommand } from '@aws-sdk/client-securityhub';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { AwsClients } from '../aws/clients';
import type { Finding } from '../domain/finding';
import { classified } from './aws-errors';
import { executionLink } from './messages';
import type { UiLinkOptions } from './messages';
import { activityAbortSignal } from './abort-signal';

/** What the write-back needs to know. */
export interface WriteBackRequest {
  readonly finding: Finding;
  readonly workflowId: string;
  readonly runId: string;
}

/** Builds `reportToSource`. */
export function createWriteBackActivities(deps: { clients: AwsClients; ui: UiLinkOptions }) {
  return {
    /** Reports the verified fix to the detector that raised the finding; returns what it did. */
    async reportToSource(request: WriteBackRequest): Promise<string> {
      const { finding } = request;
      const ctx = Context.current();
      const { account, region } = finding.resource;
      if (finding.source === 'aws.config') {
        await classified('start Config rule evaluation', () =>
          deps.clients
            .config(account, region)
            .send(new StartConfigRulesEvaluationCommand({ ConfigRuleNames: [finding.control] }), {
              abortSignal: activityAbortSignal(),
            }),
        );
        ctx.log.info('Config re-evaluation started', {
          rule: finding.control,
          resourceId: finding.resource.resourceId,
        });
        return `StartConfigRulesEvaluation ${finding.control}`;
      }
      if (finding.source === 'aws.securityhub') {
        const id = finding.details.findingId;
        const productArn = finding.details.productArn;
        if (!id || !productArn) return 'no Security Hub finding id to update';
        // Security Hub findings live in the region of the finding's ARN.
        const findingRegion = id.split(':')[3] ?? region;
        const out = await classified('update Security Hub finding', () =>
          deps.clients.securityhub(account, findingRegion).send(
            new BatchUpdateFindingsCommand({
              FindingIdentifiers: [{ Id: id, ProductArn: productArn }],
              Workflow: { Status: 'RESOLVED' },
              Note: {
                Text: `Remediated and verified by remediator: ${executionLink(request, deps.ui)}`.slice(
                  0,
                  512,
                ),
                UpdatedBy: 'remediator',
              },
            }),
            { abortSignal: activityAbortSignal() },
          ),
        );
        const unprocessed = out.UnprocessedFindings ?? [];
        if (unprocessed.length > 0) {
          throw ApplicationFailure.create({
            message: `Security Hub did not update ${id}: ${unprocessed[0]?.ErrorCode ?? ''} ${unprocessed[0]?.ErrorMessage ?? ''}`,
            type: unprocessed[0]?.ErrorCode ?? 'UnprocessedFinding',
          });
        }
        ctx.log.info('Security Hub finding resolved', { findingId: id });
        return `BatchUpdateFindings ${id} RESOLVED`;
      }
      return `nothing to report to ${finding.source}`;
    },
  };
}
