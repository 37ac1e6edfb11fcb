/**
 * The last check before a finding names an execution (`remediation/<account>/<region>/<resourceType>/<resourceId>`):
 * each part must be what AWS issues for it, and the resource must be of a type the chosen playbook acts on. The
 * normalisers check the shape of each detector's event; this checks the identity they produce, whichever detector it
 * came from, so a crafted field (a region `x/AWS::S3::Bucket/victim`, a bucket named `' OR 1=1`, a GuardDuty EC2
 * finding about something other than an instance) never starts or signals an execution.
 */
import { ACCOUNT_ID_PATTERN, REGION_PATTERN } from '../domain/finding';
import type { ResourceRef } from '../domain/finding';
import { definitionOf, kitPlaybookOf } from '../playbooks/catalogue';

/** Printable, no whitespace, no control or format characters: what any id in a workflow id must be. */
const PRINTABLE_ID = /^[^\s\p{Cc}\p{Cf}\p{Co}\p{Cs}]{1,768}$/u;

function quoted(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

/** Why `resource` cannot name an execution of `playbook`, or `undefined` when it can. */
export function resourceProblem(resource: ResourceRef, playbook: string): string | undefined {
  const { account, region, resourceType, resourceId } = resource;
  if (!ACCOUNT_ID_PATTERN.test(account)) return `account ${quoted(account)} is not a 12-digit account id`;
  // IAM is global: its findings use `global` as region.
  if (region !== 'global' && !REGION_PATTERN.test(region)) {
    return `region ${quoted(region)} is not a region name`;
  }
  const types = definitionOf(playbook)?.resourceTypes;
  if (types && !types.includes(resourceType)) {
    return `playbook ${playbook} acts on ${types.join(', ')}, not on ${quoted(resourceType)}`;
  }
  if (resourceType === 'AWS::::Account') {
    return resourceId === account
      ? undefined
      : `account resource ${quoted(resourceId)} is not account ${account}`;
  }
  const kit = kitPlaybookOf(playbook);
  // The shape the playbook declares for its type; any printable id for a playbook the process does not know.
  const shape = (kit?.resource.type === resourceType ? kit.resource.idPattern : undefined) ?? PRINTABLE_ID;
  return shape.test(resourceId) ? undefined : `${quoted(resourceId)} is not a valid ${resourceType} id`;
}
