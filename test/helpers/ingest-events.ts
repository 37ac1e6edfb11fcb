/**
 * What the ingest integration tests share: a Config public-read event for a bucket as EventBridge delivers it now,
 * the message handler `remediator ingest` builds from the default policy, and whether an execution exists.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { resolveTrust } from '../../src/domain/policy';
import { FindingDispatcher } from '../../src/ingest/dispatcher';
import { createMessageHandler } from '../../src/ingest/message-handler';
import type { MessageHandlerOptions } from '../../src/ingest/message-handler';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { policyVersion, trustSettings } from '../../src/policy/worker-policy';
import { FIXTURE_ACCOUNT } from './aws';
import { fixtureEvent } from './fixtures';

/** An event as EventBridge delivers it now: the fixture's, stamped with the current time (it would be stale). */
export function fresh(event: Record<string, unknown>): Record<string, unknown> {
  return { ...event, time: new Date().toISOString() };
}

/** The Config public-read evaluation of `bucket`, fresh, as a message body. */
export function bucketEvent(bucket: string, complianceType = 'NON_COMPLIANT'): string {
  const base = fixtureEvent('config-s3-bucket-public-read-noncompliant.json') as {
    detail: { newEvaluationResult: object };
  };
  return JSON.stringify(
    fresh(
      fixtureEvent('config-s3-bucket-public-read-noncompliant.json', {
        resourceId: bucket,
        newEvaluationResult: { ...base.detail.newEvaluationResult, complianceType },
      }),
    ),
  );
}

/**
 * The handler `remediator ingest` builds from the default policy, dispatching to `taskQueue`, its trust resolved with
 * `self` as moto's account (the fixtures'), as the bridge resolves it from STS.
 */
export function defaultPolicyHandler(
  client: Client,
  taskQueue: string,
  options: Partial<MessageHandlerOptions> = {},
): ReturnType<typeof createMessageHandler> {
  return createMessageHandler({
    policy: DEFAULT_POLICY,
    dispatcher: new FindingDispatcher(client, taskQueue, policyVersion(DEFAULT_POLICY)),
    trust: resolveTrust(trustSettings(DEFAULT_POLICY), FIXTURE_ACCOUNT),
    ...options,
  });
}

/** Whether an execution with this id exists (running or closed). */
export async function workflowExists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
