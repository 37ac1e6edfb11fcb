/**
 * What a per-resource execution does with each finding it is sent (docs/architecture.md, One execution per
 * resource): queue new work, absorb repeats of an evaluation already handled, and take a resource that is broken
 * again after its fix as new work. Pure and deterministic: the workflow owns one, and continue-as-new carries its
 * summary.
 */
import { findingFingerprint } from './finding';
import type { RoutedFinding } from './finding';

/** What became of one finding sent to the execution. */
export type IntakeDisposition =
  /** New content: queued for analysis. */
  | 'queued'
  /** Broken again after its verified fix (or after the detector said it was fine): queued for a new fix. */
  | 'regression'
  /** The same evaluation as one handled or queued already: recorded only. */
  | 'repeat'
  /** The detector says the resource is fine (COMPLIANT, PASSED, alarm OK): recorded; older queued work dropped. */
  | 'compliant';

/** Everything the intake knows, as plain JSON (what continue-as-new carries). */
export interface IntakeSummary {
  /** Findings waiting for the execution, oldest first. */
  readonly queue: readonly RoutedFinding[];
  /**
   * Fingerprints whose repeats are absorbed, by control, each with the evaluation time of the failure last taken as
   * work for it (ISO 8601).
   */
  readonly absorbing: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** When each control's last verified fix read back, by control (ISO 8601). */
  readonly lastFixAt: Readonly<Record<string, string>>;
  /** The newest evaluation in which the detector said the control passed, by control (ISO 8601). */
  readonly lastPassAt: Readonly<Record<string, string>>;
  readonly repeats: number;
  readonly regressions: number;
  readonly compliantSignals: number;
}

/** An intake with nothing received yet. */
export const EMPTY_INTAKE: IntakeSummary = {
  queue: [],
  absorbing: {},
  lastFixAt: {},
  lastPassAt: {},
  repeats: 0,
  regressions: 0,
  compliantSignals: 0,
};

/** The per-resource intake: one per execution, fed by the finding signal. */
export class FindingIntake {
  private readonly pending: RoutedFinding[];
  /** control → fingerprint → evaluation time of the failure last taken as work. */
  private readonly absorbing: Map<string, Map<string, number>>;
  private readonly lastFixAt: Map<string, number>;
  private readonly lastPassAt: Map<string, number>;
  private repeatCount: number;
  private regressionCount: number;
  private compliantCount: number;

  constructor(summary: IntakeSummary = EMPTY_INTAKE) {
    this.pending = [...summary.queue];
    this.absorbing = new Map(Object.entries(summary.absorbing).map(([c, fps]) => [c, times(fps)]));
    this.lastFixAt = times(summary.lastFixAt);
    this.lastPassAt = times(summary.lastPassAt);
    this.repeatCount = summary.repeats;
    this.regressionCount = summary.regressions;
    this.compliantCount = summary.compliantSignals;
  }

  /** Findings waiting, oldest first. */
  get queued(): number {
    return this.pending.length;
  }

  get repeats(): number {
    return this.repeatCount;
  }

  get regressions(): number {
    return this.regressionCount;
  }

  get compliantSignals(): number {
    return this.compliantCount;
  }

  /** Takes the next finding to handle, if any. */
  next(): RoutedFinding | undefined {
    return this.pending.shift();
  }

  /**
   * Decides what one finding is. A FAILED finding whose fingerprint is absorbing is a repeat unless the resource was
   * seen good after the failure last taken for it (a verified fix of the control, or an evaluation that said the
   * control passed) and this failure was evaluated after that: then the resource is broken again, and that is work.
   * Evaluation times, not arrival order, decide, because EventBridge does not promise order: a stale COMPLIANT must
   * not cancel a fresh NON_COMPLIANT, and a redelivered NON_COMPLIANT from before the fix (or from before a pass that
   * came before it) must not start a second remediation. A compliant finding drops queued findings of its control
   * that it is strictly newer than.
   */
  receive(routed: RoutedFinding): { disposition: IntakeDisposition; droppedQueued?: number } {
    const { finding } = routed;
    const control = finding.control;
    const observedAt = Date.parse(finding.observedAt);
    if (finding.state !== 'FAILED') {
      this.compliantCount += 1;
      later(this.lastPassAt, control, observedAt);
      const before = this.pending.length;
      for (let i = this.pending.length - 1; i >= 0; i -= 1) {
        const queued = this.pending[i]?.finding;
        if (queued?.control === control && observedAt > Date.parse(queued.observedAt))
          this.pending.splice(i, 1);
      }
      return { disposition: 'compliant', droppedQueued: before - this.pending.length };
    }
    const fingerprint = findingFingerprint(finding);
    const queuedAlready = this.pending.some((q) => findingFingerprint(q.finding) === fingerprint);
    const takenAt = this.absorbing.get(control)?.get(fingerprint);
    const absorbed = takenAt !== undefined;
    const seenGood = Math.max(
      this.lastFixAt.get(control) ?? -Infinity,
      this.lastPassAt.get(control) ?? -Infinity,
    );
    const brokenAgain = absorbed && seenGood > takenAt && observedAt > seenGood;
    if (queuedAlready || (absorbed && !brokenAgain)) {
      this.repeatCount += 1;
      return { disposition: 'repeat' };
    }
    const forControl = this.absorbing.get(control) ?? new Map<string, number>();
    forControl.set(fingerprint, observedAt);
    this.absorbing.set(control, forControl);
    this.pending.push(routed);
    if (!absorbed) return { disposition: 'queued' };
    this.regressionCount += 1;
    return { disposition: 'regression' };
  }

  /**
   * Records a verified fix of `control` read back at `verifiedAt`: a later evaluation that still fails is the
   * resource broken again, not a repeat.
   */
  fixed(control: string, verifiedAt: string): void {
    later(this.lastFixAt, control, Date.parse(verifiedAt));
  }

  /** The intake as plain JSON, for continue-as-new. */
  summary(): IntakeSummary {
    return {
      queue: [...this.pending],
      absorbing: Object.fromEntries([...this.absorbing].map(([c, fps]) => [c, isoTimes(fps)])),
      lastFixAt: isoTimes(this.lastFixAt),
      lastPassAt: isoTimes(this.lastPassAt),
      repeats: this.repeatCount,
      regressions: this.regressionCount,
      compliantSignals: this.compliantCount,
    };
  }
}

function times(record: Readonly<Record<string, string>>): Map<string, number> {
  return new Map(Object.entries(record).map(([control, at]) => [control, Date.parse(at)]));
}

/** An unparseable evaluation time is carried as the epoch: older than anything, as it compared before. */
function isoTimes(map: ReadonlyMap<string, number>): Record<string, string> {
  return Object.fromEntries(
    [...map].map(([key, at]) => [key, new Date(Number.isFinite(at) ? at : 0).toISOString()]),
  );
}

/** Keeps the later of the known time and `at` (an unparseable time changes nothing). */
function later(map: Map<string, number>, control: string, at: number): void {
  if (!Number.isNaN(at) && at > (map.get(control) ?? -Infinity)) map.set(control, at);
}
