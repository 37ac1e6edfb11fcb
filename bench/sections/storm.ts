/**
 * Section 3, event storm: every resource's NON_COMPLIANT event ten times, shuffled, put on EventBridge as fast as
 * PutEvents allows while the bridge and the worker process run. With the breaker above the storm: how many
 * PutPublicAccessBlock calls changed something (counted per bucket at the proxy; every bucket starts without a block,
 * and the apply step reads before it writes, so each successful put is a change), whether any bucket was changed twice,
 * moto's state afterwards, executions, repeats absorbed and the time to drain. With the breaker below the storm: how
 * many were remediated, how many wait for approval, and the pages to on-call.
 */
import { performance } from 'node:perf_hooks';
import { GetPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import type { RemediationPolicy } from '../../src/domain/policy';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { controlWorkflowId } from '../../src/workflows/control-definitions';
import { REMEDIATION_WORKFLOW_TYPE, statusQuery } from '../../src/workflows/definitions';
import {
  ACCOUNT,
  bucketNames,
  bucketWorkflowId,
  configEvent,
  createBuckets,
  pool,
  putEventsBurst,
  REGION,
  shuffled,
} from '../lib/events';
import { progress } from '../lib/progress';
import { scaled, startStack } from '../lib/stack';
import type { BenchContext } from '../lib/stack';
import { countWorkflows, eventTimeMs, historyJson, waitUntil } from '../lib/temporal';

/** One storm run. */
export interface StormRun {
  readonly breakerLimit: number;
  readonly resources: number;
  readonly events: number;
  readonly sendSeconds: number;
  /** First PutEvents → every message settled and every resource at its outcome. */
  readonly drainSeconds: number;
  readonly executions: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly repeatsAbsorbed: number;
  readonly bridge: {
    readonly delivered: number;
    readonly acknowledged: number;
    readonly deadLettered: number;
  };
  /** Successful PutPublicAccessBlock calls at the proxy. */
  readonly appliedChanges: number;
  readonly bucketsChanged: number;
  readonly bucketsChangedTwice: number;
  /** Buckets moto reports fully blocked afterwards. */
  readonly fullyBlockedAfter: number;
  readonly oncallPages: number;
  readonly approvalRequests: number;
  readonly admissionUpdates: number;
  readonly admissionUpdatesPerSecond: number | null;
}

/** What the section reports. */
export interface StormData {
  readonly above: StormRun;
  readonly below: StormRun;
}

const STATUSES = [
  'REMEDIATED',
  'AWAITING_APPROVAL',
  'ESCALATED',
  'NO_ACTION',
  'EXEMPT',
  'ANALYZING',
] as const;

async function stormRun(
  ctx: BenchContext,
  name: string,
  resources: number,
  limit: number,
): Promise<StormRun> {
  const stack = await startStack(ctx, `storm-${name}`, { proxy: true });
  const proxy = stack.proxy;
  if (!proxy) throw new Error('the storm needs the proxy');
  try {
    const policy: RemediationPolicy = {
      ...DEFAULT_POLICY,
      defaults: {
        ...DEFAULT_POLICY.defaults,
        propagationWaitMs: 0,
        breaker: { maxPerWindow: limit, windowMs: 3_600_000 },
      },
    };
    const buckets = bucketNames('bench-storm', resources);
    progress(`storm-${name}: creating ${resources} buckets`);
    await createBuckets(stack.aws.s3(ACCOUNT, REGION), buckets);
    const worker = await stack.startWorker({
      taskQueue: 'remediation',
      policyPath: stack.writePolicy(name, policy),
    });
    const bridge = stack.startBridge({ taskQueue: 'remediation', policy });
    proxy.reset();
    const storm = shuffled(buckets.flatMap((b) => Array.from({ length: 10 }, () => b))).map(configEvent);
    progress(`storm-${name}: ${storm.length} events for ${resources} resources, breaker limit ${limit}`);
    const t0 = performance.now();
    await putEventsBurst(stack.events, storm);
    const sendSeconds = (performance.now() - t0) / 1000;
    progress(`storm-${name}: sent in ${sendSeconds.toFixed(1)} s; draining`);
    const statuses: Record<string, number> = {};
    const wf = `WorkflowType = '${REMEDIATION_WORKFLOW_TYPE}'`;
    let lastReport = 0;
    await waitUntil(
      `storm-${name} to drain`,
      async () => {
        for (const s of STATUSES)
          statuses[s] = await countWorkflows(stack.client, `${wf} AND RemediationStatus = '${s}'`);
        const outcomes =
          (statuses.REMEDIATED ?? 0) + (statuses.AWAITING_APPROVAL ?? 0) + (statuses.ESCALATED ?? 0);
        if (performance.now() - lastReport > 10_000) {
          progress(
            `storm-${name}: settled ${bridge.settled()}/${storm.length}, outcomes ${outcomes}/${resources}`,
          );
          lastReport = performance.now();
        }
        return bridge.settled() >= storm.length && outcomes >= resources;
      },
      Math.max(300_000, storm.length * 200),
    );
    const drainSeconds = (performance.now() - t0) / 1000;
    progress(`storm-${name}: drained in ${drainSeconds.toFixed(1)} s`);
    const stats = { ...bridge.stats };
    await bridge.stop();

    const executions = await countWorkflows(stack.client, wf);
    let repeatsAbsorbed = 0;
    await pool(buckets, 8, async (bucket) => {
      const snapshot = await stack.client.workflow.getHandle(bucketWorkflowId(bucket)).query(statusQuery);
      repeatsAbsorbed += snapshot.repeats;
    });
    let fullyBlockedAfter = 0;
    const s3 = stack.aws.s3(ACCOUNT, REGION);
    await pool(buckets, 8, async (bucket) => {
      const c = await s3
        .send(new GetPublicAccessBlockCommand({ Bucket: bucket }))
        .then((o) => o.PublicAccessBlockConfiguration)
        .catch(() => undefined);
      if (c?.BlockPublicAcls && c.IgnorePublicAcls && c.BlockPublicPolicy && c.RestrictPublicBuckets) {
        fullyBlockedAfter += 1;
      }
    });
    const control = await historyJson(stack.client, controlWorkflowId('remediation'));
    const accepted = control.filter((e) => e.eventType.endsWith('WORKFLOW_EXECUTION_UPDATE_ACCEPTED'));
    const first = accepted[0];
    const last = accepted[accepted.length - 1];
    const span = first && last ? (eventTimeMs(last) - eventTimeMs(first)) / 1000 : 0;
    await worker.stop();
    const puts = [...proxy.publicAccessBlockPuts.values()];
    return {
      breakerLimit: limit,
      resources,
      events: storm.length,
      sendSeconds: Math.round(sendSeconds * 10) / 10,
      drainSeconds: Math.round(drainSeconds * 10) / 10,
      executions,
      statuses,
      repeatsAbsorbed,
      bridge: {
        delivered: stats.delivered,
        acknowledged: stats.acknowledged,
        deadLettered: stats.deadLettered,
      },
      appliedChanges: puts.reduce((a, b) => a + b, 0),
      bucketsChanged: puts.length,
      bucketsChangedTwice: puts.filter((c) => c > 1).length,
      fullyBlockedAfter,
      oncallPages: proxy.publishes.get(stack.resources.oncallTopicArn) ?? 0,
      approvalRequests:
        (proxy.publishes.get(stack.resources.notifyTopicArn) ?? 0) - (statuses.REMEDIATED ?? 0),
      admissionUpdates: accepted.length,
      admissionUpdatesPerSecond: span > 0 ? Math.round((accepted.length / span) * 10) / 10 : null,
    };
  } finally {
    await stack.stop();
  }
}

/** Runs the section: breaker above the storm, then below it. */
export async function runStorm(ctx: BenchContext): Promise<StormData> {
  const resources = scaled(ctx, 1000, 10);
  const above = await stormRun(ctx, 'above', resources, resources * 2);
  const below = await stormRun(ctx, 'below', resources, Math.max(1, Math.round(resources / 10)));
  return { above, below };
}

/** Markdown for the section. */
export function renderStorm(d: StormData): string {
  const line = (name: string, r: StormRun): string =>
    `| ${name} | ${r.breakerLimit} | ${r.events} / ${r.resources} | ${r.executions} | ${r.appliedChanges} (${r.bucketsChanged} buckets, ${r.bucketsChangedTwice} twice) | ${r.fullyBlockedAfter} | ${r.statuses.REMEDIATED ?? 0} | ${r.statuses.AWAITING_APPROVAL ?? 0} | ${r.oncallPages} | ${r.repeatsAbsorbed} | ${r.sendSeconds} | **${r.drainSeconds}** | ${r.admissionUpdatesPerSecond ?? 'n/a'} |`;
  const exact = d.above.appliedChanges === d.above.resources && d.above.bucketsChangedTwice === 0;
  return [
    `| breaker | limit | events / resources | executions | applied changes (PutPublicAccessBlock) | fully blocked after (moto) | REMEDIATED | AWAITING_APPROVAL | on-call pages | repeats absorbed | send s | drain s | admissions/s |`,
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
    line('above the storm', d.above),
    line('below the storm', d.below),
    '',
    `Above the storm: ${exact ? `exactly ${d.above.resources} changes, no resource changed twice` : `**${d.above.appliedChanges} changes for ${d.above.resources} resources, ${d.above.bucketsChangedTwice} changed twice**`}. ` +
      `Below it: ${d.below.statuses.REMEDIATED ?? 0} remediated, ${d.below.statuses.AWAITING_APPROVAL ?? 0} switched to approval, on-call paged ${d.below.oncallPages} times. ` +
      `Drain = first PutEvents → every message settled and every resource at its outcome. Admissions/s: the control workflow's accepted updates over their span.`,
  ].join('\n');
}
