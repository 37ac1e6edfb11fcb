/**
 * Admission, before the first change: the allow-list, the exemption tag and the control plane's exemptions, pauses,
 * flap detection and breaker. A paused remediation is held and asks again; a breaker trip turns the remediation
 * into one that waits for approval, and pages on-call once per trip.
 */
import { log } from '@temporalio/workflow';
import type { ControlCheck } from '../../activities/controls';
import { identity } from './context';
import type { FindingContext, PhaseResult } from './context';
import { failureType, rethrowCancellation } from './failures';
import { bestEffort, close, escalate } from './outcome';
import { admissionRequest, preparationFailure } from './prepare';
import { emitMetrics, metric } from '../metrics';
import { accountLabel } from '../../metrics/labels';
import type { Prepared } from './prepare';

/** Why the remediation must wait for a person, if it must, after admission. */
export interface Admitted {
  readonly approvalWhy: string | undefined;
}

/** Asks admission (the preparation's answer first) until it lets the remediation go on or ends it. */
export async function admit(
  ctx: FindingContext,
  prepared: Prepared,
  approvalWhy: string | undefined,
): Promise<PhaseResult<Admitted>> {
  const { finding, playbook, resourceId } = ctx;
  if (prepared.allowListed) return { done: await close(ctx, 'EXEMPT', prepared.allowListed, true) };
  let why = approvalWhy;
  for (let attempt = 1; ; attempt += 1) {
    let check: ControlCheck;
    try {
      const answered = attempt === 1 ? prepared.preparation.check : undefined;
      check =
        answered ??
        (await ctx.aws.checkControls.executeWithOptions({ summary: `Admission of ${resourceId}` }, [
          admissionRequest(ctx, attempt),
        ]));
    } catch (err) {
      rethrowCancellation(err);
      return { done: await escalate(ctx, preparationFailure('admission', err), failureType(err)) };
    }
    const d = check.decision;
    if (d.decision !== 'proceed')
      emitMetrics([metric('admissionHolds', { playbook, reason: holdReason(d.decision) })]);
    if (d.decision === 'exempt') return { done: await close(ctx, 'EXEMPT', d.reason, true) };
    if (d.decision === 'protected') return { done: await escalate(ctx, d.reason, 'Protected') };
    if (d.decision === 'flapping') {
      const where = check.managedBy ? `; it is managed by ${check.managedBy}: fix it there` : '';
      return { done: await escalate(ctx, `${d.reason}${where}`, 'Flapping') };
    }
    if (d.decision === 'paused') {
      ctx.report('PAUSED', `Held before changing anything: ${d.reason}`);
      await ctx.pause.hold();
      continue;
    }
    if (d.decision === 'approve') {
      why = why ? `${why}; ${d.reason}` : d.reason;
      // On-call hears of a trip once per window (the first admission over the limit), not once per held remediation.
      if (d.firstOverLimit) {
        log.warn('Breaker tripped', { playbook, account: finding.resource.account, reason: d.reason });
        emitMetrics([metric('breakerTrips', { playbook, account: accountLabel(finding.resource.account) })]);
        await bestEffort(ctx, 'breaker alert', () =>
          ctx.notify.notifyOncall.executeWithOptions({ summary: 'Breaker tripped: alert on-call' }, [
            {
              kind: 'escalation',
              ...identity(),
              resource: finding.resource,
              playbook,
              status: 'AWAITING_APPROVAL',
              reason: `${d.reason}; new remediations wait for approval`,
              at: new Date().toISOString(),
            },
          ]),
        );
      }
    }
    return { approvalWhy: why };
  }
}

/** The admission-hold label of a decision that did not let the remediation through as asked. */
function holdReason(decision: string): string {
  // `approve` is the breaker's answer: over the limit, new remediations wait for a person.
  return decision === 'approve' ? 'breaker' : decision;
}
