/**
 * Playbook `ec2-vpc-flow-logs`: a VPC gets a flow log (Config `vpc-flow-logs-enabled`, source VPC_FLOW_LOGS_ENABLED,
 * periodic, on `AWS::EC2::VPC`; Security Hub EC2.6, which runs the rule with `trafficType: REJECT`). A VPC already
 * counts as compliant when it has an active flow log of the traffic asked for (one of all traffic covers rejected).
 *
 * Where the logs go is the policy's decision, never a guess: without a valid destination the finding is escalated.
 * Options (policy `playbooks.ec2-vpc-flow-logs.options`):
 * - `logDestinationType`: `cloud-watch-logs` or `s3`;
 * - `logDestination`: the log group's ARN (`arn:aws:logs:<region>:<account>:log-group:<name>`) or the bucket's ARN
 *   (`arn:aws:s3:::<bucket>`, optionally with `/<prefix>`);
 * - `deliverLogsPermissionArn`: for CloudWatch Logs, the ARN of the role the flow logs service delivers with;
 * - `trafficType`: `REJECT` (default, what EC2.6 asks for) or `ALL`.
 *
 * The state lists the VPC's flow logs. Rollback deletes the flow logs on the VPC that are not in the recorded state and
 * are of the traffic and destination type this fix creates: exactly what the fix added, nothing that was there before.
 *
 * Permissions besides the calls it sends: creating a flow log to CloudWatch Logs passes the delivery role
 * (`passesRoleTo`: `iam:PassRole` granted only for passing to `vpc-flow-logs.amazonaws.com`, never open: unbounded it
 * is an escalation primitive); an S3 destination needs `logs:CreateLogDelivery` and, to delete,
 * `logs:DeleteLogDelivery` (`dependentActions`).
 */
import {
  CreateFlowLogsCommand,
  DeleteFlowLogsCommand,
  DescribeFlowLogsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import type { FlowLog } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { isNotFound } from '../activities/aws-errors';
import type { KitIo } from '../kit/playbook-kit';
import { definePlaybook } from '../kit/playbook-kit';

const flowLog = z.object({
  id: z.string(),
  /** `ACTIVE` for a flow log that records. */
  status: z.string(),
  /** `ACCEPT`, `REJECT` or `ALL`. */
  trafficType: z.string(),
  /** `cloud-watch-logs`, `s3` or `kinesis-data-firehose`. */
  destinationType: z.string(),
  destination: z.string(),
});
type FlowLogState = z.infer<typeof flowLog>;

const LOG_GROUP_ARN = /^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[\w./#-]+(?::\*)?$/;
const BUCKET_ARN = /^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:\/[^\s]*)?$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** The flow log the policy asks for. */
interface Target {
  readonly trafficType: 'REJECT' | 'ALL';
  readonly destinationType: 'cloud-watch-logs' | 's3';
  readonly destination: string;
  readonly role?: string;
}

/** The flow log the policy's options describe, or why they describe none. */
function targetOf({ options }: KitIo): Target | string {
  const text = (key: string) => (typeof options[key] === 'string' ? options[key] : undefined);
  const trafficType = text('trafficType') ?? 'REJECT';
  if (trafficType !== 'REJECT' && trafficType !== 'ALL') {
    return `the policy's trafficType '${trafficType}' is not REJECT or ALL`;
  }
  const destinationType = text('logDestinationType');
  const destination = text('logDestination');
  if (destinationType === undefined || destination === undefined) {
    return 'the policy names no flow log destination (options logDestinationType and logDestination)';
  }
  if (destinationType === 's3') {
    return BUCKET_ARN.test(destination)
      ? { trafficType, destinationType, destination }
      : `the policy's logDestination '${destination}' is not an S3 bucket ARN`;
  }
  if (destinationType !== 'cloud-watch-logs') {
    return `the policy's logDestinationType '${destinationType}' is not cloud-watch-logs or s3`;
  }
  if (!LOG_GROUP_ARN.test(destination)) {
    return `the policy's logDestination '${destination}' is not a CloudWatch Logs log group ARN`;
  }
  const role = text('deliverLogsPermissionArn');
  if (role === undefined || !ROLE_ARN.test(role)) {
    return 'the policy names no delivery role for CloudWatch Logs (option deliverLogsPermissionArn, a role ARN)';
  }
  return { trafficType, destinationType, destination, role };
}

/** The traffic a flow log must record: what the policy asks for, REJECT when it asks for nothing usable. */
const wanted = (io: KitIo) => {
  const target = targetOf(io);
  return typeof target === 'string' ? 'REJECT' : target.trafficType;
};

/** Whether one of the flow logs is active and records the traffic asked for. */
const covered = (logs: readonly FlowLogState[], trafficType: string) =>
  logs.some((l) => l.status === 'ACTIVE' && (l.trafficType === 'ALL' || l.trafficType === trafficType));

function stateOf(l: FlowLog): FlowLogState | undefined {
  if (!l.FlowLogId) return undefined;
  return {
    id: l.FlowLogId,
    status: l.FlowLogStatus ?? 'UNKNOWN',
    trafficType: l.TrafficType ?? 'UNKNOWN',
    destinationType: l.LogDestinationType ?? 'cloud-watch-logs',
    destination: l.LogDestination ?? l.LogGroupName ?? '',
  };
}

/** An error the kit classifies as permanent (a client fault), named after what went wrong. */
const permanent = (name: string, message: string) =>
  Object.assign(new Error(message), { name, $fault: 'client' as const });

export const ec2VpcFlowLogs = definePlaybook({
  id: 'ec2-vpc-flow-logs',
  title: 'Create a flow log for a VPC',
  kind: 'configuration',
  defaultMode: 'auto',
  roleFamily: 'configuration',
  resource: { type: 'AWS::EC2::VPC', idPattern: /^vpc-[0-9a-f]{8,17}$/, securityHubType: 'AwsEc2Vpc' },
  defaultSeverity: 5,
  triggers: {
    configRules: { 'vpc-flow-logs-enabled': { identifier: 'VPC_FLOW_LOGS_ENABLED', periodic: true } },
    securityHubControls: ['EC2.6'],
  },
  iamActions: ['ec2:DescribeVpcs', 'ec2:DescribeFlowLogs', 'ec2:CreateFlowLogs', 'ec2:DeleteFlowLogs'],
  passesRoleTo: ['vpc-flow-logs.amazonaws.com'],
  dependentActions: ['logs:CreateLogDelivery', 'logs:DeleteLogDelivery'],
  // The VPC's flow logs, sorted by id.
  state: z.object({ flowLogs: z.array(flowLog) }),

  async read({ client, resource, abortSignal }) {
    const ec2 = client(EC2Client);
    const VpcId = resource.resourceId;
    try {
      const vpcs = await ec2.send(new DescribeVpcsCommand({ VpcIds: [VpcId] }), { abortSignal });
      if (!vpcs.Vpcs?.some((v) => v.VpcId === VpcId)) return undefined;
    } catch (err) {
      // InvalidVpcID.NotFound
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const flowLogs: FlowLogState[] = [];
    let NextToken: string | undefined;
    do {
      const page = await ec2.send(
        new DescribeFlowLogsCommand({
          Filter: [{ Name: 'resource-id', Values: [VpcId] }],
          ...(NextToken ? { NextToken } : {}),
        }),
        { abortSignal },
      );
      for (const l of page.FlowLogs ?? []) {
        const s = stateOf(l);
        if (s) flowLogs.push(s);
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return { flowLogs: flowLogs.sort((a, b) => a.id.localeCompare(b.id)) };
  },
  describe: (s) =>
    s.flowLogs.length === 0
      ? 'no flow log'
      : `flow log(s) ${s.flowLogs.map((l) => `${l.id} (${l.status}, ${l.trafficType} to ${l.destinationType})`).join(', ')}`,
  cannotFix(_s, io) {
    const target = targetOf(io);
    return typeof target === 'string' ? target : undefined;
  },

  steps: [
    {
      id: 'create-flow-log',
      title: 'CreateFlowLogs for the VPC to the destination the policy names',
      onFailure: 'compensate',
      plan(s, io) {
        if (covered(s.flowLogs, wanted(io))) return undefined;
        const target = targetOf(io);
        const where = typeof target === 'string' ? 'the destination the policy names' : target.destination;
        return `CreateFlowLogs on ${io.resource.resourceId}: ${wanted(io)} traffic to ${where}`;
      },
      async apply(io) {
        const target = targetOf(io);
        if (typeof target === 'string') throw permanent('NoFlowLogDestination', target);
        const out = await io.client(EC2Client).send(
          new CreateFlowLogsCommand({
            ResourceIds: [io.resource.resourceId],
            ResourceType: 'VPC',
            TrafficType: target.trafficType,
            LogDestinationType: target.destinationType,
            LogDestination: target.destination,
            ...(target.role ? { DeliverLogsPermissionArn: target.role } : {}),
          }),
          { abortSignal: io.abortSignal },
        );
        // A flow log that could not be created is reported in the response, not as an error.
        const failed = out.Unsuccessful?.[0]?.Error;
        if (failed || !out.FlowLogIds?.length) {
          throw permanent(
            'FlowLogNotCreated',
            `CreateFlowLogs on ${io.resource.resourceId}: ${failed?.Code ?? ''} ${failed?.Message ?? 'no flow log created'}`,
          );
        }
        return {
          changed: true,
          detail: `flow log ${out.FlowLogIds.join(', ')}: ${target.trafficType} traffic to ${target.destination}`,
        };
      },
      async undo(io, prior, current) {
        // What the fix created: flow logs not recorded before, of the traffic and destination type it creates.
        const target = targetOf(io);
        if (typeof target === 'string')
          return { changed: false, detail: `nothing this fix could have created: ${target}` };
        const recorded = new Set(prior.flowLogs.map((l) => l.id));
        const ids = current.flowLogs
          .filter(
            (l) =>
              !recorded.has(l.id) &&
              l.trafficType === target.trafficType &&
              l.destinationType === target.destinationType,
          )
          .map((l) => l.id);
        if (ids.length === 0) return { changed: false, detail: 'already as recorded' };
        let out;
        try {
          out = await io
            .client(EC2Client)
            .send(new DeleteFlowLogsCommand({ FlowLogIds: ids }), { abortSignal: io.abortSignal });
        } catch (err) {
          // Deleted meanwhile (InvalidFlowLogId.NotFound): as recorded.
          if (!isNotFound(err)) throw err;
        }
        const failed = out?.Unsuccessful?.find((u) => !u.Error?.Code?.endsWith('NotFound'));
        if (failed) {
          throw permanent(
            'FlowLogNotDeleted',
            `DeleteFlowLogs ${failed.ResourceId ?? ''}: ${failed.Error?.Code ?? ''} ${failed.Error?.Message ?? 'not deleted'}`,
          );
        }
        return { changed: true, detail: `DeleteFlowLogs ${ids.join(', ')} (created by the fix)` };
      },
    },
  ],
});
