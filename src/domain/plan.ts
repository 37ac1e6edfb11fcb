/**
 * A planned change, shared by the analysis, the approval request and the playbook catalogue.
 */

/** One change the playbook will make, in order. `description` says in words what AWS call it makes. */
export interface PlannedStep {
  readonly step: string;
  readonly description: string;
}
