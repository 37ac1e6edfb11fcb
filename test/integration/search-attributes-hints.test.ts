/**
 * What the worker's start-up check tells an operator whose namespace lacks search attributes, against the real dev
 * server: the exact `tcld` command for Temporal Cloud (only the missing ones), the Temporal CLI commands for a
 * self-hosted service, and how to get past a mistyped attribute.
 */
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  assertSearchAttributes,
  findSearchAttributeProblems,
  MissingSearchAttributesError,
} from '../../src/temporal/search-attributes-check';
import { startSuiteTemporal } from '../helpers/servers';

const { INDEXED_VALUE_TYPE_KEYWORD: KEYWORD } = temporal.api.enums.v1.IndexedValueType;

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startSuiteTemporal();
});
afterAll(async () => {
  await env?.teardown();
});

async function registerNamespace(namespace: string): Promise<void> {
  await env.client.connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
}

async function startupFailure(namespace: string): Promise<string> {
  const failure = await assertSearchAttributes(env.client, namespace).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(failure).toBeInstanceOf(MissingSearchAttributesError);
  return (failure as Error).message;
}

it('gives the tcld command that creates all eight in a namespace without them', async () => {
  await registerNamespace('bare-hints');

  const message = await startupFailure('bare-hints');

  expect(message).toContain(
    'tcld namespace search-attributes add --namespace bare-hints --sa "RemediationStatus=Keyword" ' +
      '--sa "Playbook=Keyword" --sa "ResourceType=Keyword" --sa "ResourceId=Keyword" --sa "AwsAccount=Keyword" ' +
      '--sa "AwsRegion=Keyword" --sa "FindingSource=Keyword" --sa "Severity=Double"',
  );
  expect(message).toContain('Namespaces → bare-hints → Edit → Custom Search Attributes');
  expect(message).toContain(
    'temporal operator search-attribute create --namespace bare-hints --name RemediationStatus --name Playbook ' +
      '--name ResourceType --name ResourceId --name AwsAccount --name AwsRegion --name FindingSource --type Keyword',
  );
  expect(message).toContain(
    'temporal operator search-attribute create --namespace bare-hints --name Severity --type Double',
  );
});

it('names only what is missing or mistyped, and how to replace a mistyped one', async () => {
  await registerNamespace('partial-hints');
  await env.client.connection.operatorService.addSearchAttributes({
    namespace: 'partial-hints',
    searchAttributes: {
      RemediationStatus: KEYWORD,
      Playbook: KEYWORD,
      ResourceType: KEYWORD,
      ResourceId: KEYWORD,
      AwsAccount: KEYWORD,
      Severity: KEYWORD,
    },
  });

  await expect(findSearchAttributeProblems(env.client, 'partial-hints')).resolves.toEqual([
    'AwsRegion (KEYWORD) is missing',
    'FindingSource (KEYWORD) is missing',
    'Severity (DOUBLE) is registered as KEYWORD',
  ]);
  const message = await startupFailure('partial-hints');
  expect(message).toContain(
    'tcld namespace search-attributes add --namespace partial-hints --sa "AwsRegion=Keyword" ' +
      '--sa "FindingSource=Keyword" --sa "Severity=Double"',
  );
  expect(message).toContain(
    'tcld namespace search-attributes rename --namespace partial-hints --existing-name Severity ' +
      '--new-name SeverityOld',
  );
  expect(message).not.toContain('--sa "Playbook=Keyword"');
});
