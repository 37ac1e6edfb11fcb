/**
 * Admission updates a remediation caused on the control workflow (`remediation-control/<taskQueue>`): billed there,
 * not in the remediation's own history, so they are read from the remediation's admission results. A check that
 * says it read the published controls (`asked: 'published'`) or stopped at the exemption tag cost no update; one
 * that says `update` cost one.
 */
import type { HistoryEventJson } from './billable-actions';

/** Activities whose result carries an admission check: alone, inside the preparation, or inside the run's opening. */
const CHECKS: Readonly<Record<string, (result: unknown) => unknown>> = {
  checkControls: (r) => r,
  prepareRemediation: (r) => (r as { check?: unknown } | null)?.check,
  openRemediation: (r) => (r as { preparation?: { check?: unknown } } | null)?.preparation?.check,
};

type Scheduled = { activityType?: { name?: string } };
type Completed = { scheduledEventId?: string | number; result?: { payloads?: Array<{ data?: string }> } };

/** Counts the accepted `admit` updates one remediation history implies. */
export function admissionUpdates(events: readonly HistoryEventJson[]): number {
  const names = new Map<string, string>();
  let updates = 0;
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes as Scheduled | undefined;
    if (scheduled?.activityType?.name) names.set(String(e.eventId), scheduled.activityType.name);
    const completed = e.activityTaskCompletedEventAttributes as Completed | undefined;
    if (!completed) continue;
    const extract = CHECKS[names.get(String(completed.scheduledEventId)) ?? ''];
    const data = completed.result?.payloads?.[0]?.data;
    if (!extract || !data) continue;
    const check = extract(JSON.parse(Buffer.from(data, 'base64').toString('utf8'))) as
      { asked?: string } | undefined;
    if (check?.asked === 'update') updates += 1;
  }
  return updates;
}
