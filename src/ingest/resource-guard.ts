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

/** Id shapes of the resource types the playbooks act on, as AWS issues them. */
const ID_SHAPES: Readonly<Record<string, RegExp>> = {
  // Includes legacy us-east-1 names (upper case, underscores, up to 255 characters).
  'AWS::S3::Bucket': /^[A-Za-z0-9._-]{3,255}$/,
  'AWS::EC2::Instance': /^i-[0-9a-f]{8,17}$/,
  'AWS::EC2::SecurityGroup': /^sg-[0-9a-f]{8,17}$/,
  // An access key id, or the user name GuardDuty names when it gives no key.
  'AWS::IAM::AccessKey': /^[\w+=,.@-]{1,128}$/,
  'AWS::AutoScaling::AutoScalingGroup': /^[^\s\p{Cc}\p{Cf}\p{Co}\p{Cs}]{1,255}$/u,
};

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
  const shape =
    (kit?.resource.type === resourceType ? kit.resource.idPattern : undefined) ??
    ID_SHAPES[resourceType] ??
    PRINTABLE_ID;
  return shape.test(resourceId) ? undefined : `${quoted(resourceId)} is not a valid ${resourceType} id`;
}
