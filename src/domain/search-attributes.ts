/**
 * The search attributes of docs/architecture.md, Search attributes. Defined once; the client, the workflow and the
 * worker's start-up check use them.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { SearchAttributePair } from '@temporalio/common';
import type { Finding } from './finding';

/** Current phase or final outcome of the execution. */
export const RemediationStatusKey = defineSearchAttributeKey(
  'RemediationStatus',
  SearchAttributeType.KEYWORD,
);
/** Playbook of the finding being handled. */
export const PlaybookKey = defineSearchAttributeKey('Playbook', SearchAttributeType.KEYWORD);
/** CloudFormation-style resource type. */
export const ResourceTypeKey = defineSearchAttributeKey('ResourceType', SearchAttributeType.KEYWORD);
/** Resource id as AWS Config names it. */
export const ResourceIdKey = defineSearchAttributeKey('ResourceId', SearchAttributeType.KEYWORD);
/** Account that owns the resource. */
export const AwsAccountKey = defineSearchAttributeKey('AwsAccount', SearchAttributeType.KEYWORD);
/** Region of the resource, or `global`. */
export const AwsRegionKey = defineSearchAttributeKey('AwsRegion', SearchAttributeType.KEYWORD);
/** Detector that reported the finding. */
export const FindingSourceKey = defineSearchAttributeKey('FindingSource', SearchAttributeType.KEYWORD);
/** Severity on a 0–10 scale. */
export const SeverityKey = defineSearchAttributeKey('Severity', SearchAttributeType.DOUBLE);

/** Every search attribute the product needs, with the type the server must have registered. */
export const REQUIRED_SEARCH_ATTRIBUTES = [
  RemediationStatusKey,
  PlaybookKey,
  ResourceTypeKey,
  ResourceIdKey,
  AwsAccountKey,
  AwsRegionKey,
  FindingSourceKey,
  SeverityKey,
] as const;

/** The attributes an execution about `finding` starts with (a remediation, or a rollback of one). */
export function findingSearchAttributes(
  finding: Finding,
  playbook: string,
  status: string,
): SearchAttributePair[] {
  return [
    { key: RemediationStatusKey, value: status },
    { key: PlaybookKey, value: playbook },
    { key: ResourceTypeKey, value: finding.resource.resourceType },
    { key: ResourceIdKey, value: finding.resource.resourceId },
    { key: AwsAccountKey, value: finding.resource.account },
    { key: AwsRegionKey, value: finding.resource.region },
    { key: FindingSourceKey, value: finding.source },
    { key: SeverityKey, value: finding.severity },
  ];
}
