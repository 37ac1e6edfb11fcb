/**
 * Before anything else, the worker decides whether a finding is one it may act on at all (docs/architecture.md,
 * Trust model): the account and region are ones it serves, the finding names no protected principal, and the detector itself confirms it (one read, under the worker's credentials). Everything here comes
 * from the worker's own policy; the finding is only the claim being checked.
 */
import { Context } from '@temporalio/activity';
import { globMatches } from '../domain/controls';
import type { Finding } from '../domain/finding';
import { scopeProblem } from '../domain/policy';
import type { ResolvedTrust } from '../domain/policy';
import { activityAbortSignal } from './abort-signal';
import type { Confirmation } from './confirm-finding';
import type { PlaybookRequest } from './remediation-activities';
import type { PolicySource } from './worker-settings';

/** Asks the detector whether a finding is real. */
export type ConfirmFinding = (finding: Finding, abortSignal?: AbortSignal) => Promise<Confirmation>;

/**
 * Why a finding is refused: outside the accounts or regions served, naming a protected principal, or not confirmed
 * by its detector.
 */
export type RefusalKind = 'out-of-scope' | 'protected' | 'unconfirmed';

/** The worker's verdict on a finding before any analysis. */
export type Vetting =
  | { readonly trusted: true; readonly detail: string }
  | { readonly trusted: false; readonly kind: RefusalKind; readonly reason: string };

/** The principal names a finding's resource belongs to (IAM user or role of an access key). */
function principalsOf(finding: Finding): string[] {
  const names = [finding.details.userName, finding.details.roleName];
  if (
    finding.resource.resourceType.startsWith('AWS::IAM::') &&
    finding.resource.resourceType !== 'AWS::IAM::AccessKey'
  ) {
    names.push(finding.resource.resourceId);
  }
  return names.filter((n): n is string => typeof n === 'string' && n !== '');
}

/**
 * The vetting without the detector: scope and protected principals. (Age is the ingest's check: a finding's
 * `observedAt` is when the detector last evaluated, which for a swept Config result can be long ago.)
 */
export function vetLocally(finding: Finding, trust: ResolvedTrust): Vetting | undefined {
  const scope = scopeProblem(trust, finding.resource);
  if (scope) return { trusted: false, kind: 'out-of-scope', reason: scope };
  for (const name of principalsOf(finding)) {
    const pattern = trust.protectedPrincipals.find((p) => globMatches(p, name));
    if (pattern) {
      return {
        trusted: false,
        kind: 'protected',
        reason: `the finding names ${name}, a protected principal (${pattern}): never changed automatically`,
      };
    }
  }
  return undefined;
}

/** Builds `vetFinding` over the worker's policy and a detector client. */
export function createVettingActivities(policyFor: PolicySource, confirm: ConfirmFinding) {
  return {
    /** Read-only: whether the worker may act on this finding at all, with the reason when not. */
    async vetFinding(request: PlaybookRequest): Promise<Vetting> {
      const ctx = Context.current();
      const { trust } = policyFor(ctx.info.taskQueue);
      const { finding } = request;
      const local = vetLocally(finding, trust);
      if (local) {
        ctx.log.warn('Finding refused', { kind: local.trusted ? '' : local.kind, eventId: finding.eventId });
        return local;
      }
      if (!trust.confirmAtSource || finding.state !== 'FAILED') {
        return { trusted: true, detail: 'not confirmed at the source (the policy does not ask to)' };
      }
      const confirmation = await confirm(finding, activityAbortSignal());
      if (!confirmation.confirmed) {
        ctx.log.warn('Finding not confirmed at its source', {
          source: finding.source,
          eventId: finding.eventId,
        });
        return {
          trusted: false,
          kind: 'unconfirmed',
          reason: `${finding.source} does not confirm the finding: ${confirmation.reason}`,
        };
      }
      return { trusted: true, detail: confirmation.detail };
    },
  };
}
