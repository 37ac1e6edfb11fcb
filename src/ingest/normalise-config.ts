/**
 * "Config Rules Compliance Change" → `Finding`. Account and region come from the detail (where the resource lives),
 * never from the envelope; the trust gate then holds the envelope's account to the detail's (src/ingest/trust-gate.ts).
 */
import { z } from 'zod';
import { ACCOUNT_ID_PATTERN, REGION_PATTERN, RESOURCE_ID_PATTERN } from '../domain/finding';
import type { Finding, FindingState } from '../domain/finding';
import type { EventBridgeEnvelope } from './envelope';
import { parseDetail } from './envelope';

const complianceType = z.enum(['COMPLIANT', 'NON_COMPLIANT', 'NOT_APPLICABLE', 'INSUFFICIENT_DATA']);

/** The fields of the Config detail we rely on. */
export const configComplianceDetailSchema = z.object({
  resourceId: z.string().regex(RESOURCE_ID_PATTERN, 'must be a non-empty id without whitespace'),
  resourceType: z.string().regex(/^AWS::[A-Za-z0-9]*::[A-Za-z0-9]+$/, 'must look like AWS::Service::Type'),
  awsAccountId: z.string().regex(ACCOUNT_ID_PATTERN, 'must be a 12-digit account id'),
  awsRegion: z.string().regex(REGION_PATTERN, 'must be a region name'),
  configRuleName: z.string().min(1).max(128),
  configRuleARN: z.string().optional(),
  messageType: z.literal('ComplianceChangeNotification'),
  newEvaluationResult: z.object({
    complianceType,
    resultRecordedTime: z.string().optional(),
    evaluationResultIdentifier: z.object({ orderingTimestamp: z.string().optional() }).optional(),
  }),
});

const STATES: Record<z.infer<typeof complianceType>, FindingState> = {
  NON_COMPLIANT: 'FAILED',
  COMPLIANT: 'PASSED',
  NOT_APPLICABLE: 'NOT_APPLICABLE',
  // Config could not evaluate: nothing to act on.
  INSUFFICIENT_DATA: 'NOT_APPLICABLE',
};

/** Normalises a Config compliance change. */
export function normaliseConfigCompliance(envelope: EventBridgeEnvelope, defaultSeverity: number): Finding {
  const detail = parseDetail(configComplianceDetailSchema, envelope);
  const result = detail.newEvaluationResult;
  return {
    source: 'aws.config',
    control: detail.configRuleName,
    state: STATES[result.complianceType],
    resource: {
      account: detail.awsAccountId,
      region: detail.awsRegion,
      resourceType: detail.resourceType,
      resourceId: detail.resourceId,
    },
    severity: defaultSeverity,
    title: `AWS Config rule ${detail.configRuleName} is ${result.complianceType} for ${detail.resourceId}`,
    observedAt:
      result.evaluationResultIdentifier?.orderingTimestamp ?? result.resultRecordedTime ?? envelope.time,
    eventId: envelope.id,
    details: { complianceType: result.complianceType },
  };
}
