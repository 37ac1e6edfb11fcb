/**
 * The collector's pure parts (src/report/collect.ts): a history whose payloads were encrypted with the real payload
 * codec reads to the same records once decoded with it, the window query, and the bounded map.
 */
import { randomBytes } from 'node:crypto';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { loadPayloadEncryptionConfig } from '../../src/config';
import { payloadCodec } from '../../src/temporal/codec';
import { decodeHistory, mapBounded, windowQuery } from '../../src/report/collect';
import { recordsFromHistory } from '../../src/report/outcomes-from-history';
import type { ProtoHistory } from '../../src/report/outcomes-from-history';
import { historyFiles } from '../helpers/history-files';

const codec = payloadCodec(
  loadPayloadEncryptionConfig({ PAYLOAD_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}` })!,
);

/** Encrypts, in place, every input and result payload of `history`, as an encrypting worker would have written them. */
async function encrypt(history: ProtoHistory): Promise<void> {
  for (const e of history.events ?? []) {
    for (const list of [
      e.workflowExecutionStartedEventAttributes?.input,
      e.workflowExecutionCompletedEventAttributes?.result,
      e.activityTaskScheduledEventAttributes?.input,
      e.activityTaskCompletedEventAttributes?.result,
    ]) {
      if (list?.payloads?.length) list.payloads = await codec.encode(list.payloads);
    }
  }
}

it('reads an encrypted history to the same records once decoded with the codecs', async () => {
  const files = historyFiles().filter((f) =>
    ['imdsv2-approved-remediated.json', 's3-cancelled-awaiting-approval.json'].includes(f.name),
  );
  expect(files).toHaveLength(2);
  for (const file of files) {
    const plain = recordsFromHistory(file.json);
    const history = historyFromJSON(file.json);
    await encrypt(history);
    const workflowId = plain.workflowId;

    const unreadable = recordsFromHistory(history, { workflowId, runId: plain.runId });
    await decodeHistory(history, [codec]);
    const decoded = recordsFromHistory(history, { workflowId, runId: plain.runId });

    expect(unreadable.outcomes).toEqual([]);
    expect(decoded).toEqual(plain);
    expect(decoded.outcomes.length).toBeGreaterThan(0);
  }
});

it('asks visibility for both workflow types and every run open at some moment of the window', () => {
  expect(windowQuery(new Date('2026-12-01T00:00:00Z'))).toBe(
    "WorkflowType IN ('remediationWorkflow', 'rollbackWorkflow') AND (StartTime >= '2026-12-01T00:00:00.000Z' " +
      "OR CloseTime >= '2026-12-01T00:00:00.000Z' OR ExecutionStatus = 'Running')",
  );
});

it('maps with at most the given number of calls in flight, keeping the order', async () => {
  let inFlight = 0;
  let most = 0;
  const items = Array.from({ length: 20 }, (_, i) => i);

  const out = await mapBounded(items, 3, async (i) => {
    inFlight += 1;
    most = Math.max(most, inFlight);
    await new Promise((r) => setTimeout(r, (i * 7) % 5));
    inFlight -= 1;
    return i * 2;
  });

  expect(out).toEqual(items.map((i) => i * 2));
  expect(most).toBe(3);
  expect(await mapBounded([], 3, async (i: number) => i)).toEqual([]);
});
