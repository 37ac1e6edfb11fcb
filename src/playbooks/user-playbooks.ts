/**
 * The playbooks this process loaded from the modules its policy names (docs/architecture.md, User playbooks). The
 * policy is the worker's own configuration, so what it names is trusted like the rest of it; nothing from a finding,
 * a signal or a queue message ever reaches here. Registered once at start-up, before the policy's playbook ids are
 * checked; the worker and the bridge then see them as they see the built-in ones.
 */
import type { AnyKitPlaybook } from '../kit/playbook-kit';

const registered = new Map<string, { playbook: AnyKitPlaybook; origin: string }>();

/**
 * Adds `playbooks` (from `origin`, a module path). The same declaration again is a no-op (a policy reloaded); another
 * declaration under an id already taken is an error.
 */
export function registerUserPlaybooks(playbooks: readonly AnyKitPlaybook[], origin: string): void {
  for (const playbook of playbooks) {
    const earlier = registered.get(playbook.id);
    if (earlier && earlier.playbook !== playbook) {
      throw new Error(`playbook ${playbook.id} from ${origin} is already loaded from ${earlier.origin}`);
    }
    registered.set(playbook.id, { playbook, origin });
  }
}

/** The loaded user playbooks, in the order they were registered. */
export function userPlaybooks(): readonly AnyKitPlaybook[] {
  return [...registered.values()].map((r) => r.playbook);
}

/** Forgets every user playbook (tests that load different policies in one process). */
export function clearUserPlaybooks(): void {
  registered.clear();
}
