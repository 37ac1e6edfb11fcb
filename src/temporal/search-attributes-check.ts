/**
 * Start-up check that the namespace has every search attribute DESIGN §3 names, with the right type.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { REQUIRED_SEARCH_ATTRIBUTES } from '../domain/search-attributes';

/** Thrown when search attributes are missing or have the wrong type; the message names each one. */
export class MissingSearchAttributesError extends Error {
  override readonly name = 'MissingSearchAttributesError';
}

const INDEXED_TYPE: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  DOUBLE: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
};

/** Lists problems: `Name (Keyword) is missing`, `Severity is Keyword, expected Double`. */
export async function findSearchAttributeProblems(client: Client, namespace: string): Promise<string[]> {
  const response = await client.connection.operatorService.listSearchAttributes({ namespace });
  const registered = response.customAttributes ?? {};
  const problems: string[] = [];
  for (const key of REQUIRED_SEARCH_ATTRIBUTES) {
    const actual = registered[key.name];
    const expected = INDEXED_TYPE[key.type];
    if (actual === undefined || actual === null) problems.push(`${key.name} (${key.type}) is missing`);
    else if (expected !== undefined && actual !== expected)
      problems.push(`${key.name} has the wrong type, expected ${key.type}`);
  }
  return problems;
}

/** Throws naming every missing search attribute, with the command that creates them on a dev server. */
export async function assertSearchAttributes(client: Client, namespace: string): Promise<void> {
  const problems = await findSearchAttributeProblems(client, namespace);
  if (problems.length === 0) return;
  const flags = REQUIRED_SEARCH_ATTRIBUTES.map(
    (k) => `--search-attribute ${k.name}=${k.type === 'DOUBLE' ? 'Double' : 'Keyword'}`,
  ).join(' ');
  throw new MissingSearchAttributesError(
    `Namespace '${namespace}' lacks search attributes: ${problems.join('; ')}. ` +
      `Create them (Temporal Cloud: in the namespace settings or 'tcld namespace search-attributes add'; ` +
      `dev server: 'temporal server start-dev ${flags}').`,
  );
}
