/**
 * The policy as the local stack holds it (docs/architecture.md, Trust model): the emulator has no detectors to ask
 * (moto lacks GuardDuty findings and Config's compliance details) and no identities to verify decisions against, so
 * unless the policy says otherwise, the local stack neither confirms findings at the source nor requires signed
 * decisions, and any identity moto reports may decide. A deployment's default is the opposite; `remediator worker` never applies this.
 */
import type { RemediationPolicy, TrustSettings } from '../domain/policy';

/**
 * The local stack's trust: no confirmation at the source, unsigned decisions taken, and, because moto's STS vouches
 * for any signature, any signed identity may decide.
 */
export const LOCAL_STACK_TRUST: Partial<TrustSettings> = {
  confirmAtSource: false,
  allowUnsignedDecisions: true,
  approvers: { '*': ['*'] },
};

/** The policy with the local stack's trust defaults under whatever the policy sets itself. */
export function localStackPolicy(policy: RemediationPolicy): RemediationPolicy {
  return { ...policy, trust: { ...LOCAL_STACK_TRUST, ...(policy.trust ?? {}) } };
}
