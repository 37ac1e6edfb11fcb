/**
 * The worker's start-up check against the real dev server: it passes where our search attributes are registered and
 * names each missing one in a namespace that lacks them.
 */
import { msToTs } from '@temporalio/common/lib/time';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  assertSearchAttributes,
  findSearchAttributeProblems,
  MissingSearchAttributesError,
} from '../../src/temporal/search-attributes-check';
import { startSuiteTemporal } from '../helpers/servers';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startSuiteTemporal();
});
afterAll(async () => {
  await env?.teardown();
});

it('finds nothing missing in the namespace the dev server registered them in', async () => {
  await expect(findSearchAttributeProblems(env.client, 'default')).resolves.toEqual([]);
});

it('names every missing search attribute in a namespace without them', async () => {
  await env.client.connection.workflowService.registerNamespace({
    namespace: 'bare',
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  const failure = await assertSearchAttributes(env.client, 'bare').catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(MissingSearchAttributesError);
  for (const name of [
    'RemediationStatus',
    'Playbook',
    'ResourceType',
    'ResourceId',
    'AwsAccount',
    'AwsRegion',
    'FindingSource',
    'Severity',
  ]) {
    expect((failure as Error).message).toContain(`${name} (`);
  }
});
