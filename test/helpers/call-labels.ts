/**
 * Labels on the requests of an EC2 client, for fault-proxy rules that must tell apart requests the proxy names alike
 * (test/helpers/aws-fault-proxy.ts names a request by service, action and target only: the move of an ENI into the
 * allow-all group and its move into the isolation group are both `ModifyNetworkInterfaceAttribute` on the ENI, and
 * `CreateSecurityGroup` has no target at all).
 *
 * A middleware on the client computes a label from each command's name and input and files it under the request's
 * `amz-sdk-invocation-id` header, which the proxy records for every request (SDK retries share it). A rule's `target`
 * predicate then asks for the label of the request the proxy is matching: the proxy records a request and matches it
 * against its rules synchronously, before any `before` hook runs, so that request is the last one it recorded. (So a
 * rule with a `before` hook must not come before a rule that uses these labels.) A second middleware lets the caller
 * learn from each answer (e.g. the id of a group just created, to name the later calls on it).
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { AwsCall, AwsFaultProxy } from './aws-fault-proxy';

/** What the middleware gives the labeller: the command's name without `Command`, and its input. */
export type Labeller<L> = (action: string, input: Record<string, unknown>) => L | undefined;
/** Called with every successful answer. */
export type Learner = (
  action: string,
  input: Record<string, unknown>,
  output: Record<string, unknown>,
) => void;

/** The labels of one proxy's requests. */
export interface CallLabels<L> {
  /** The label of a recorded call, if a labelled client sent it. */
  of(call: AwsCall): L | undefined;
  /** A `target` predicate for a fault rule: true when the request being matched has a label `wanted` accepts. */
  matching(wanted: (label: L | undefined) => boolean): (target: string | undefined) => boolean;
  /** Labels the requests of another client too. */
  label(client: EC2Client): void;
}

/** Labels the requests `clients` send through `proxy`. */
export function labelCalls<L>(proxy: AwsFaultProxy, labeller: Labeller<L>, learner?: Learner): CallLabels<L> {
  const labels = new Map<string, L>();
  return {
    of: (call) => (call.invocationId === undefined ? undefined : labels.get(call.invocationId)),
    matching: (wanted) => () => {
      const current = proxy.calls.at(-1)?.invocationId;
      return wanted(current === undefined ? undefined : labels.get(current));
    },
    label(client) {
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const headers = (args.request as { headers?: Record<string, string> } | undefined)?.headers ?? {};
          const invocation = headers['amz-sdk-invocation-id'];
          const action = (context.commandName ?? '').replace(/Command$/, '');
          const label = labeller(action, args.input as Record<string, unknown>);
          if (invocation !== undefined && label !== undefined) labels.set(invocation, label);
          return next(args);
        },
        // Inside the retry middleware (finalizeRequest), which sets the invocation id header.
        { step: 'deserialize', name: 'labelForFaultProxy' },
      );
      if (!learner) return;
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const result = await next(args);
          learner(
            (context.commandName ?? '').replace(/Command$/, ''),
            args.input as Record<string, unknown>,
            result.output as unknown as Record<string, unknown>,
          );
          return result;
        },
        { step: 'initialize', name: 'learnForFaultProxy' },
      );
    },
  };
}
