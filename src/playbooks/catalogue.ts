/**
 * The worker's catalogue: every playbook it can run, by id, each a kit declaration (docs/architecture.md, Playbook
 * kit). Everything outside the workflows that needs to know the playbooks (the policy's schema, the ingest guard, the
 * CLI, the worker's settings, infra and docs) reads it here. Workflow code cannot import it (the kit's files hold AWS
 * calls); workflows get each playbook's shape with the worker's settings.
 */
import { PLAYBOOKS } from '../domain/playbooks';
import type { PlaybookDefinition, PlaybookId, PlaybookShape } from '../domain/playbooks';
import type { AnyKitPlaybook } from '../kit/playbook-kit';
import { KIT_PLAYBOOKS } from './index';
import { userPlaybooks } from './user-playbooks';

/** Id of a kit playbook. */
export type KitPlaybookId = (typeof KIT_PLAYBOOKS)[number]['id'];

/** Id of any built-in playbook. */
export type CatalogueId = KitPlaybookId;

/**
 * The playbooks written before the kit, every one of them a kit declaration now: a missing port fails `tsc` here.
 * Their entries in `PLAYBOOKS` stay only for histories recorded before the worker sent shapes.
 */
export const PORTED_PLAYBOOK_IDS: readonly KitPlaybookId[] = Object.keys(PLAYBOOKS) as PlaybookId[];

/** A kit declaration's catalogue entry. */
export function kitDefinition(playbook: AnyKitPlaybook): PlaybookDefinition {
  return {
    id: playbook.id,
    title: playbook.title,
    kind: playbook.kind,
    roleFamily: playbook.roleFamily,
    resourceTypes: [playbook.resource.type],
    defaultSeverity: playbook.defaultSeverity,
    defaultMode: playbook.defaultMode,
    steps: playbook.steps.map(({ id, title, onFailure }) => ({ id, title, onFailure })),
  };
}

/** Kit playbooks by id. */
export const KIT_BY_ID: Readonly<Record<KitPlaybookId, AnyKitPlaybook>> = Object.fromEntries(
  KIT_PLAYBOOKS.map((p) => [p.id, p]),
) as Record<KitPlaybookId, AnyKitPlaybook>;

/** Every built-in playbook, by id. */
export const CATALOGUE: Readonly<Record<CatalogueId, PlaybookDefinition>> = Object.fromEntries(
  KIT_PLAYBOOKS.map((p) => [p.id, kitDefinition(p)]),
) as Record<CatalogueId, PlaybookDefinition>;

/** Every id in the catalogue. */
export const CATALOGUE_IDS = Object.keys(CATALOGUE) as CatalogueId[];

/** Narrows an arbitrary string (policy file, CLI flag, recorded outcome) to a catalogue id. */
export function isCatalogueId(value: string): value is CatalogueId {
  return Object.prototype.hasOwnProperty.call(CATALOGUE, value);
}

/** Every playbook's shape, as the worker sends them to its workflows. */
export const CATALOGUE_SHAPES: Readonly<Record<string, PlaybookShape>> = CATALOGUE;

/** Every kit playbook this process runs: the built-in ones, then those the policy's modules added. */
export function allKitPlaybooks(): readonly AnyKitPlaybook[] {
  return [...KIT_PLAYBOOKS, ...userPlaybooks()];
}

/** The kit declaration of `id`, built-in or loaded, if it is one. */
export function kitPlaybookOf(id: string): AnyKitPlaybook | undefined {
  return isCatalogueId(id)
    ? (KIT_BY_ID as Readonly<Record<string, AnyKitPlaybook>>)[id]
    : userPlaybooks().find((p) => p.id === id);
}

/** The catalogue entry of `id`, built-in or loaded, if there is one. */
export function definitionOf(id: string): PlaybookDefinition | undefined {
  if (isCatalogueId(id)) return CATALOGUE[id];
  const loaded = userPlaybooks().find((p) => p.id === id);
  return loaded ? kitDefinition(loaded) : undefined;
}

/** Every playbook id this process knows: the catalogue's, then the loaded ones'. */
export function allPlaybookIds(): readonly string[] {
  return [...CATALOGUE_IDS, ...userPlaybooks().map((p) => p.id)];
}

/** Every playbook's shape, as the worker sends them to its workflows (loaded playbooks included). */
export function catalogueShapes(): Readonly<Record<string, PlaybookShape>> {
  return { ...CATALOGUE_SHAPES, ...Object.fromEntries(userPlaybooks().map((p) => [p.id, kitDefinition(p)])) };
}
