/**
 * What the CloudTrail playbooks share: reading one trail by name in the finding's region, and where it can be changed
 * from (its home region, its owner account). GetTrail in moto returns no `HomeRegion`; then the region of the trail's
 * ARN (where it was created) is its home region.
 */
import { CloudTrailClient, GetTrailCommand } from '@aws-sdk/client-cloudtrail';
import type { Trail } from '@aws-sdk/client-cloudtrail';
import { isNotFound } from '../../activities/aws-errors';
import type { KitIo } from '../../kit/playbook-kit';

export { TRAIL_NAME } from './trail-name';

/** The home region and owner account of a trail's ARN (`arn:aws:cloudtrail:<region>:<account>:trail/<name>`). */
export function arnParts(arn: string | undefined): { region?: string; account?: string } {
  const parts = arn?.split(':') ?? [];
  return parts.length >= 6 ? { region: parts[3], account: parts[4] } : {};
}

/** Why this trail cannot be changed from the finding's account and region, or `undefined`. */
export function elsewhere(
  s: { homeRegion: string; ownerAccount: string },
  { resource }: KitIo,
): string | undefined {
  if (s.ownerAccount !== resource.account) {
    return `the trail belongs to account ${s.ownerAccount} (an organization trail): change it there`;
  }
  if (s.homeRegion !== resource.region) {
    return `the trail's home region is ${s.homeRegion}: a trail can only be changed from its home region`;
  }
  return undefined;
}

/** The trail the finding names, with its home region and owner, or `undefined` when there is none (seen from here). */
export async function readTrail({
  client,
  resource,
  abortSignal,
}: KitIo): Promise<{ trail: Trail; homeRegion: string; ownerAccount: string } | undefined> {
  try {
    const trail = (
      await client(CloudTrailClient).send(new GetTrailCommand({ Name: resource.resourceId }), { abortSignal })
    ).Trail;
    if (!trail) return undefined;
    const arn = arnParts(trail.TrailARN);
    return {
      trail,
      homeRegion: trail.HomeRegion ?? arn.region ?? resource.region,
      ownerAccount: arn.account ?? resource.account,
    };
  } catch (err) {
    // TrailNotFoundException: no such trail (seen from this region).
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
