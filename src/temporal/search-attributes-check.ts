/**
 * Start-up check that the namespace has every search attribute docs/architecture.md names (Search attributes), with
 * the right type.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { REQUIRED_SEARCH_ATTRIBUTES } from '../domain/search-attributes';

/** Thrown when search attributes are missing or have the wrong type; the message names each one. */
export class MissingSearchAttributesError extends Error {
  override readonly name = 'MissingSearchAttributesError';
}

type IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

/**
 * Our types (the SDK's `KEYWORD`, `DOUBLE`): the server's enum value, and the spelling tcld, the Temporal CLI and the
 * Cloud UI use in commands (`Keyword`, `Double`).
 */
const TYPES: Record<string, { readonly command: string; readonly indexed: IndexedValueType }> = {
  KEYWORD: { command: 'Keyword', indexed: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
  DOUBLE: { command: 'Double', indexed: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE },
};

/** A registered type in the SDK's spelling, for the message. */
const REGISTERED_TYPES: Partial<Record<IndexedValueType, string>> = {
  [IndexedValueType.INDEXED_VALUE_TYPE_TEXT]: 'TEXT',
  [IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]: 'KEYWORD',
  [IndexedValueType.INDEXED_VALUE_TYPE_INT]: 'INT',
  [IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE]: 'DOUBLE',
  [IndexedValueType.INDEXED_VALUE_TYPE_BOOL]: 'BOOL',
  [IndexedValueType.INDEXED_VALUE_TYPE_DATETIME]: 'DATETIME',
  [IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST]: 'KEYWORD_LIST',
};

/** One required search attribute the namespace lacks (`actual` absent) or has with another type. */
interface AttributeProblem {
  readonly name: string;
  /** The SDK's spelling (`KEYWORD`). */
  readonly type: string;
  /** The spelling commands take (`Keyword`). */
  readonly command: string;
  readonly actual?: string;
}

const commandType = (type: string): string => TYPES[type]?.command ?? type;

async function inspect(client: Client, namespace: string): Promise<AttributeProblem[]> {
  // Temporal Cloud expects the `temporal-namespace` header on namespace-specific requests (the regional endpoints
  // route by it); the SDK's Connection adds it to workflow-service calls only, so this operator-service call sets it.
  const response = await client.connection.withMetadata({ 'temporal-namespace': namespace }, () =>
    client.connection.operatorService.listSearchAttributes({ namespace }),
  );
  const registered = response.customAttributes ?? {};
  const problems: AttributeProblem[] = [];
  for (const key of REQUIRED_SEARCH_ATTRIBUTES) {
    const actual = registered[key.name];
    const expected = TYPES[key.type]?.indexed;
    const problem = { name: key.name, type: key.type, command: commandType(key.type) };
    if (actual === undefined || actual === null) problems.push(problem);
    else if (expected !== undefined && actual !== expected)
      problems.push({ ...problem, actual: REGISTERED_TYPES[actual] ?? String(actual) });
  }
  return problems;
}

const explain = (p: AttributeProblem): string =>
  p.actual === undefined
    ? `${p.name} (${p.type}) is missing`
    : `${p.name} (${p.type}) is registered as ${p.actual}`;

/** Lists problems: `Playbook (KEYWORD) is missing`, `Severity (DOUBLE) is registered as KEYWORD`. */
export async function findSearchAttributeProblems(client: Client, namespace: string): Promise<string[]> {
  return (await inspect(client, namespace)).map(explain);
}

/** `label` padded to a column, then each line of `texts` (continuation lines indented to the same column). */
function rows(label: string, texts: readonly string[]): string[] {
  return texts.map((text, i) => `  ${(i === 0 ? label : '').padEnd(16)}${text}`);
}

/** The commands (and the Cloud UI route) that create `missing` in `namespace`. */
function creationHints(namespace: string, missing: readonly AttributeProblem[]): string[] {
  const tcld =
    `tcld namespace search-attributes add --namespace ${namespace} ` +
    missing.map((p) => `--sa "${p.name}=${p.command}"`).join(' ');
  const selfHosted = [...new Set(missing.map((p) => p.command))].map(
    (type) =>
      `temporal operator search-attribute create --namespace ${namespace} ` +
      missing
        .filter((p) => p.command === type)
        .map((p) => `--name ${p.name} `)
        .join('') +
      `--type ${type}`,
  );
  const devServer = REQUIRED_SEARCH_ATTRIBUTES.map(
    (k) => `--search-attribute ${k.name}=${commandType(k.type)}`,
  ).join(' ');
  return [
    ...rows('Temporal Cloud:', [
      tcld,
      `or in the Cloud UI: Namespaces → ${namespace} → Edit → Custom Search Attributes`,
    ]),
    ...rows('self-hosted:', selfHosted),
    ...rows('dev server:', [`temporal server start-dev ${devServer}`]),
  ];
}

/**
 * Throws naming every missing or mistyped search attribute, with the commands that create them: `tcld` (or the Cloud
 * UI) for Temporal Cloud, the Temporal CLI for a self-hosted service and for the dev server.
 */
export async function assertSearchAttributes(client: Client, namespace: string): Promise<void> {
  const problems = await inspect(client, namespace);
  if (problems.length === 0) return;
  const lines = [
    `Namespace '${namespace}' lacks search attributes the worker needs: ${problems.map(explain).join('; ')}.`,
  ];
  const mistyped = problems.filter((p) => p.actual !== undefined);
  if (mistyped.length > 0) {
    lines.push(
      "A search attribute's type cannot be changed: rename the mistyped one out of the way, then create it again:",
      ...rows(
        'Temporal Cloud:',
        mistyped.map(
          (p) =>
            `tcld namespace search-attributes rename --namespace ${namespace} ` +
            `--existing-name ${p.name} --new-name ${p.name}Old`,
        ),
      ),
    );
  }
  lines.push('Create them, then start the worker again:', ...creationHints(namespace, problems));
  throw new MissingSearchAttributesError(lines.join('\n'));
}
