/**
 * `createActivities(deps)`: every activity the worker registers, built from injected clients and settings
 * (the Temporal samples' dependency-injection pattern). Tests pass clients pointed at moto.
 */
import type { Client } from '@temporalio/client';
import type { AwsClients } from '../aws/clients';
import { KIT_PLAYBOOKS } from '../playbooks';
import { userPlaybooks } from '../playbooks/user-playbooks';
import type { CatalogueId } from '../playbooks/catalogue';
import { createCompositeActivities } from './composite';
import { createControlActivities } from './controls';
import { createHealthGuardActivities } from './health-guard';
import { createAuditActivities } from './audit';
import type { UiLinkOptions } from './messages';
import { createNotifyActivities } from './notify';
import type { PlaybookHandler } from './playbooks/playbook-handler';
import { createRecordedOutcomeActivities } from './recorded-outcome';
import { createRemediationActivities } from './remediation-activities';
import { createTicketActivities } from './ticket';
import type { TicketSink } from './tickets/ticket-sink';
import type { IdentityVerifier } from '../auth/verify-decision';
import { createFindingConfirmation } from './confirm-finding';
import { createDecisionActivities } from './decisions';
import { createRollbackGrantActivities } from './rollback-grant';
import { createVettingActivities } from './vet-finding';
import type { ConfirmFinding } from './vet-finding';
import { createWorkerSettingsActivities } from './worker-settings';
import type { PolicySource } from './worker-settings';
import { createWriteBackActivities } from './write-back';
import { keptAlive } from './keep-alive';
import { kitHandler } from '../kit/kit-handler';
import type { AnyKitPlaybook } from '../kit/playbook-kit';

/** Everything the activities depend on. */
export interface ActivityDeps {
  readonly clients: AwsClients;
  readonly notifyTopicArn: string;
  readonly oncallTopicArn: string;
  readonly auditBucket?: string;
  /** Region of the worker's own resources (audit bucket). */
  readonly region: string;
  readonly ui: UiLinkOptions;
  /** The worker's Temporal client, for the control workflow (admission, exemptions, pauses). */
  readonly temporal: Client;
  /** Where tickets go besides the audit trail (SNS, signed webhook, Jira Cloud). */
  readonly ticketSink?: TicketSink;
  /** The worker's own policy (settings and trust), per task queue: never taken from a workflow's input. */
  readonly policyFor: PolicySource;
  /** Asks a finding's detector whether it is real; default: the detectors' own APIs through `clients`. */
  readonly confirmFinding?: ConfirmFinding;
  /** Verifies signed operator decisions at the worker's STS endpoint; absent, signed decisions are refused. */
  readonly verifyIdentity?: IdentityVerifier;
}

/**
 * The playbook registry: id → AWS implementation, one handler made from each kit declaration. Its calls use its
 * family's role in other accounts (docs/deployment.md, Roles per playbook family), and what it borrows the role it
 * names (the isolation playbook's optional stop goes through the availability role, the only one that may stop an
 * instance).
 */
export function createPlaybooks(
  clients: AwsClients,
): Record<CatalogueId, PlaybookHandler> & Record<string, PlaybookHandler> {
  const builtIn = Object.fromEntries(
    KIT_PLAYBOOKS.map((p: AnyKitPlaybook) => [p.id, kitHandler(p, clients)]),
  ) as Record<CatalogueId, PlaybookHandler>;
  // Those the policy's modules added (docs/architecture.md, User playbooks), after the built-in ones.
  const loaded = Object.fromEntries(userPlaybooks().map((p) => [p.id, kitHandler(p, clients)]));
  return { ...loaded, ...builtIn };
}

/** Builds every activity. */
export function createActivities(deps: ActivityDeps) {
  const audit = createAuditActivities(deps);
  const single = {
    ...createRemediationActivities(createPlaybooks(deps.clients), {
      recordHeartbeat: (taskToken, details) => deps.temporal.activity.heartbeat(taskToken, details),
    }),
    ...createNotifyActivities(deps),
    ...audit,
    ...createTicketActivities(audit.recordAudit, deps.ui, deps.ticketSink),
    ...createWriteBackActivities(deps),
    ...createControlActivities(deps),
    ...createHealthGuardActivities(deps),
    ...createWorkerSettingsActivities(deps.policyFor),
    ...createRecordedOutcomeActivities(deps),
    ...createRollbackGrantActivities(deps),
    ...createVettingActivities(
      deps.policyFor,
      deps.confirmFinding ?? createFindingConfirmation(deps.clients),
    ),
  };
  const decisions = createDecisionActivities({
    policyFor: deps.policyFor,
    ...(deps.verifyIdentity ? { verifyIdentity: deps.verifyIdentity } : {}),
    recordAudit: single.recordAudit,
    notifyOncall: single.notifyOncall,
  });
  // Containment runs these with a heartbeat timeout (see keep-alive.ts); others have none and are left as they are.
  return keptAlive({ ...single, ...decisions, ...createCompositeActivities(single) }, [
    'analyze',
    'capturePriorState',
    'applyStep',
    'compensateStep',
    'verify',
    'checkControls',
    'prepareRemediation',
    'concludeRemediation',
  ]);
}
