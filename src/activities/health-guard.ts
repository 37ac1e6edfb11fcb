/**
 * The health guard: after a verified change, watch the policy's alarms for the bake time. One long activity that
 * polls and heartbeats (one Temporal action however long the bake), returning the first alarm that went to ALARM.
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { Context } from '@temporalio/activity';
import type { AwsClients } from '../aws/clients';
import { classified } from './aws-errors';
import { activityAbortSignal } from './abort-signal';

/** What to watch, where, and for how long. */
export interface WatchRequest {
  readonly account: string;
  readonly region: string;
  readonly alarms: readonly string[];
  readonly bakeTimeMs: number;
  /** Between reads; default 15 s. */
  readonly pollMs?: number;
}

/** The first alarm seen in ALARM, if any, with CloudWatch's reason. */
export interface WatchResult {
  readonly tripped?: { readonly alarm: string; readonly reason: string; readonly at: string };
  /** Alarms the guard could not find (a typo in the policy must not pass silently). */
  readonly missing: readonly string[];
  readonly reads: number;
}

/** Builds `watchAlarms`. */
export function createHealthGuardActivities(deps: { readonly clients: AwsClients }) {
  return {
    /** Watches the alarms until one is in ALARM or the bake time is over. */
    async watchAlarms(request: WatchRequest): Promise<WatchResult> {
      const ctx = Context.current();
      const cloudwatch = deps.clients.cloudwatch(request.account, request.region);
      const pollMs = request.pollMs ?? 15_000;
      // Resume from a heartbeat after a worker restart instead of starting the bake again.
      const startedAt =
        (ctx.info.heartbeatDetails as { startedAt?: number } | undefined)?.startedAt ?? Date.now();
      let reads = 0;
      for (;;) {
        const out = await classified('read health-guard alarms', () =>
          cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [...request.alarms] }), {
            abortSignal: activityAbortSignal(),
          }),
        );
        reads += 1;
        const found = out.MetricAlarms ?? [];
        const missing = request.alarms.filter((name) => !found.some((a) => a.AlarmName === name));
        const alarm = found.find((a) => a.StateValue === 'ALARM');
        if (alarm) {
          return {
            tripped: {
              alarm: alarm.AlarmName ?? '?',
              reason: alarm.StateReason ?? '',
              at: new Date().toISOString(),
            },
            missing,
            reads,
          };
        }
        if (Date.now() - startedAt >= request.bakeTimeMs) return { missing, reads };
        ctx.heartbeat({ startedAt });
        await ctx.sleep(Math.min(pollMs, Math.max(0, request.bakeTimeMs - (Date.now() - startedAt))));
      }
    },
  };
}
