/**
 * Holds a remediation while the control plane says it is paused: woken by the control workflow's `resume` signal,
 * or after a while to ask again (a lost wake-up costs minutes, never the remediation).
 */
import { condition, setHandler } from '@temporalio/workflow';
import { resumeSignal } from './control-definitions';

/** How long a held remediation waits before asking again without a wake-up. */
export const PAUSE_RECHECK_MS = 5 * 60 * 1000;

/** Registers the resume signal; `hold()` waits for it or the re-check interval. */
export class PauseGate {
  private woken = false;

  /** Registers the signal handler; call once, at the start of the workflow. */
  constructor() {
    setHandler(resumeSignal, () => {
      this.woken = true;
    });
  }

  /** Waits until woken or `recheckMs` passed. */
  async hold(recheckMs = PAUSE_RECHECK_MS): Promise<void> {
    this.woken = false;
    await condition(() => this.woken, recheckMs);
  }
}
