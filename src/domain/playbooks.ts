/**
 * The playbook catalogue: what each playbook is, in workflow-safe terms. The AWS calls live in `src/activities`.
 */

/**
 * How a playbook fails and rolls back (DESIGN §1): configuration fixes compensate completed steps when a later one
 * fails; containment fails closed (keeps what was done); availability playbooks may roll back by themselves.
 */
export type PlaybookKind = 'configuration' | 'containment' | 'availability';

/** Catalogue entry for one playbook. */
export interface PlaybookDefinition {
  readonly id: string;
  readonly title: string;
  readonly kind: PlaybookKind;
  /** Resource types this playbook acts on. */
  readonly resourceTypes: readonly string[];
  /** Severity used for search and escalation when the detector reports none (Config). */
  readonly defaultSeverity: number;
}

/** Every playbook the worker can run, by id. */
export const PLAYBOOKS = {
  's3-block-public-access': {
    id: 's3-block-public-access',
    title: 'Block S3 public access',
    kind: 'configuration',
    resourceTypes: ['AWS::S3::Bucket'],
    defaultSeverity: 7,
  },
} as const satisfies Record<string, PlaybookDefinition>;

/** Id of a playbook in the catalogue. */
export type PlaybookId = keyof typeof PLAYBOOKS;

/** Narrows an arbitrary string (policy file, signal payload) to a known playbook id. */
export function isPlaybookId(value: string): value is PlaybookId {
  return Object.prototype.hasOwnProperty.call(PLAYBOOKS, value);
}

/** Looks up a playbook, throwing for an id that is not in the catalogue. */
export function playbookDefinition(id: string): PlaybookDefinition {
  if (!isPlaybookId(id)) throw new Error(`Unknown playbook '${id}'`);
  return PLAYBOOKS[id];
}
