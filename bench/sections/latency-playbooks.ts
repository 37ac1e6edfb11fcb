/**
 * Time to verified fix per playbook, for the latency section: for each kit playbook whose conformance setup can make
 * many resources of its own in moto (not an account setting, nothing the world must do before verification passes),
 * `perPlaybook` non-compliant resources; each one's own event fixture (examples/events), pointed at it, is put on
 * EventBridge, the playbooks interleaved, at the section's rate; the latency is PutEvents → the execution's
 * `RemediationStatus = REMEDIATED`, as in the S3 phase. The setups are the conformance suite's (test/conformance).
 */
import { randomUUID } from 'node:crypto';
import type { RemediationPolicy } from '../../src/domain/policy';
import type { Finding } from '../../src/domain/finding';
import { remediationWorkflowId } from '../../src/domain/finding';
import { withDetectorTimesNow } from '../../src/commands/event-times';
import { SETUPS } from '../../test/conformance/setups';
import type { ConformanceSetup } from '../../test/conformance/conformance-setup';
import { fixturePointedAt } from '../../test/helpers/fixtures';
import { ACCOUNT, pool, putEvents, putEventsEntry, REGION } from '../lib/events';
import { summarize } from '../lib/percentiles';
import type { Summary } from '../lib/percentiles';
import { progress } from '../lib/progress';
import type { BenchStack } from '../lib/stack';
import { historyJson, payloadValue, statusReachedAt } from '../lib/temporal';
import type { HistoryEventJson } from '../lib/billable-actions';

/** One playbook's figures. */
export interface PlaybookLatency {
  readonly playbook: string;
  /** PutEvents → REMEDIATED (ms), of the remediated ones. */
  readonly latency?: Summary;
  /** Verification reads per remediated execution. */
  readonly reads?: Summary;
  readonly sent: number;
  readonly notRemediated: number;
}

/** A resource made for the phase and the event about it. */
interface Target {
  readonly playbook: string;
  readonly workflowId: string;
  readonly event: Record<string, unknown>;
}

/**
 * The setups the phase can use: many resources of their own existing at once, verification that reads only what the
 * steps set.
 */
export function measurableSetups(except: readonly string[] = []): ConformanceSetup[] {
  return SETUPS.filter(
    (s) =>
      !except.includes(s.playbook.id) &&
      s.oneAtATime !== true &&
      s.playbook.steps.length > 0 &&
      s.settle === undefined &&
      s.gone !== undefined &&
      s.events.length > 0,
  );
}

/**
 * The policy's settings for those playbooks: each runs by itself (approval has its own figures), with the options it
 * cannot fix anything without; the window stays the policy's default.
 */
export function perPlaybookSettings(setups: readonly ConformanceSetup[]): RemediationPolicy['playbooks'] {
  return Object.fromEntries(
    setups.map((s) => [
      s.playbook.id,
      { mode: 'auto' as const, ...(s.optionsEndToEnd && s.options ? { options: s.options } : {}) },
    ]),
  );
}

/** The setup's first event fixture pointed at `finding`'s resource, with the times of now and a fresh id. */
function eventAbout(setup: ConformanceSetup, finding: Finding): Record<string, unknown> {
  const event = fixturePointedAt(setup.events[0] as string, finding.resource.resourceId);
  return { ...withDetectorTimesNow(event), id: randomUUID() };
}

/** Makes `perPlaybook` non-compliant resources for each setup (straight in moto) and the events about them. */
export async function arrangeTargets(
  stack: BenchStack,
  setups: readonly ConformanceSetup[],
  perPlaybook: number,
): Promise<Target[]> {
  progress(
    `${stack.section}: making ${setups.length * perPlaybook} resources for ${setups.length} playbooks`,
  );
  const made: Target[][] = setups.map(() => []);
  await pool(setups, 4, async (setup, s) => {
    for (let i = 0; i < perPlaybook; i += 1) {
      const env = {
        endpoint: stack.moto.endpoint,
        account: ACCOUNT,
        region: REGION,
        unique: `bp${s}x${i}${randomUUID().slice(0, 4)}`,
      };
      const finding = await setup.nonCompliant(env);
      made[s]?.push({
        playbook: setup.playbook.id,
        workflowId: remediationWorkflowId(finding.resource),
        event: eventAbout(setup, finding),
      });
    }
  });
  // Interleaved: one of each playbook in turn, so every playbook sees the same load.
  const out: Target[] = [];
  for (let i = 0; i < perPlaybook; i += 1) {
    for (const list of made) {
      const target = list[i];
      if (target) out.push(target);
    }
  }
  return out;
}

/** Sends every target's event at `perSecond` (open loop); resolves with when each was sent (epoch ms). */
export async function sendTargets(
  stack: BenchStack,
  targets: readonly Target[],
  perSecond: number,
  paced: (count: number, perSecond: number, fire: (i: number) => Promise<void>) => Promise<void>,
): Promise<number[]> {
  const sentAt: number[] = [];
  await paced(targets.length, perSecond, async (i) => {
    const target = targets[i] as Target;
    sentAt[i] = Date.now();
    await putEvents(stack.events, [putEventsEntry(target.event)]);
  });
  return sentAt;
}

/** Reads each target's history once all completed; the figures per playbook, in the setups' order. */
export async function perPlaybookLatency(
  stack: BenchStack,
  targets: readonly Target[],
  sentAt: readonly number[],
): Promise<PlaybookLatency[]> {
  const latency = new Map<string, number[]>();
  const reads = new Map<string, number[]>();
  const sent = new Map<string, number>();
  await pool(targets, 8, async (target, i) => {
    sent.set(target.playbook, (sent.get(target.playbook) ?? 0) + 1);
    const events = await historyJson(stack.client, target.workflowId);
    const at = statusReachedAt(events, 'REMEDIATED');
    if (at === undefined) return;
    (latency.get(target.playbook) ?? latency.set(target.playbook, []).get(target.playbook))?.push(
      at - (sentAt[i] as number),
    );
    const n = verificationReads(events);
    if (n !== undefined)
      (reads.get(target.playbook) ?? reads.set(target.playbook, []).get(target.playbook))?.push(n);
  });
  return [...sent.keys()].sort().map((playbook) => {
    const list = latency.get(playbook) ?? [];
    const readList = reads.get(playbook) ?? [];
    return {
      playbook,
      ...(list.length > 0 ? { latency: summarize(list) } : {}),
      ...(readList.length > 0 ? { reads: summarize(readList) } : {}),
      sent: sent.get(playbook) ?? 0,
      notRemediated: (sent.get(playbook) ?? 0) - list.length,
    };
  });
}

/** The verification reads of the execution's first outcome, from its completion result. */
export function verificationReads(events: readonly HistoryEventJson[]): number | undefined {
  const completed = events.at(-1)?.workflowExecutionCompletedEventAttributes as
    { result?: { payloads?: unknown[] } } | undefined;
  const result = payloadValue(completed?.result?.payloads?.[0]) as
    { outcomes?: { verification?: { reads?: number } }[] } | undefined;
  return result?.outcomes?.[0]?.verification?.reads;
}
