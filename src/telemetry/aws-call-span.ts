/**
 * A span per AWS SDK call (docs/observability.md, Traces), added as a middleware to every client `AwsClients` builds:
 * named `<Service>.<Operation>` (`S3.PutPublicAccessBlock`), kind CLIENT, with the attributes of the OpenTelemetry
 * conventions for AWS SDK calls. It wraps the whole call, the SDK's own retries included. Neither the request nor the
 * response goes into it: only the service, operation, region, account, status code and request id, and on failure the
 * error's name. With tracing off the API's tracer is a no-op and the call costs one non-recording span.
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE } from '@opentelemetry/semantic-conventions';
import {
  ATTR_AWS_REQUEST_ID,
  ATTR_CLOUD_ACCOUNT_ID,
  ATTR_CLOUD_REGION,
  ATTR_RPC_METHOD,
  ATTR_RPC_SERVICE,
  ATTR_RPC_SYSTEM,
} from './attributes';

/** The tracer's name: which instrumentation made these spans. */
const TRACER = 'remediator.aws-sdk';

/** What the SDK tells a middleware about the call: the client's and the command's class names. */
export interface AwsCallContext {
  readonly clientName?: string;
  readonly commandName?: string;
}

/** An SDK middleware: takes the next handler and the call's context, returns the handler that wraps it. */
export type AwsMiddleware = (
  next: (args: unknown) => Promise<unknown>,
  context: AwsCallContext,
) => (args: unknown) => Promise<unknown>;

/** What AWS returned in `$metadata`, on a response or an error. */
interface ResponseMetadata {
  readonly $metadata?: { readonly httpStatusCode?: number; readonly requestId?: string };
}

/** `S3Client` → `S3`; `ElasticLoadBalancingV2Client` → `ElasticLoadBalancingV2`. */
export function awsServiceName(clientName: string | undefined): string {
  return clientName?.replace(/Client$/, '') || 'AWS';
}

/** `PutPublicAccessBlockCommand` → `PutPublicAccessBlock`. */
export function awsOperationName(commandName: string | undefined): string {
  return commandName?.replace(/Command$/, '') || 'Unknown';
}

/**
 * The middleware for clients of `account` in `region` (an `initialize` step, so one span covers every attempt).
 * `account` is recorded when it is an account id (not the `self` of the worker's own topics and queue).
 */
export function awsCallSpan(region: string, account: string): AwsMiddleware {
  const accountId = /^\d{12}$/.test(account) ? { [ATTR_CLOUD_ACCOUNT_ID]: account } : {};
  return (next, context) => async (args) => {
    const service = awsServiceName(context.clientName);
    const operation = awsOperationName(context.commandName);
    const attributes = {
      [ATTR_RPC_SYSTEM]: 'aws-api',
      [ATTR_RPC_SERVICE]: service,
      [ATTR_RPC_METHOD]: operation,
      [ATTR_CLOUD_REGION]: region,
      ...accountId,
    };
    return trace
      .getTracer(TRACER)
      .startActiveSpan(`${service}.${operation}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
        try {
          const result = await next(args);
          recordMetadata(span, (result as { output?: ResponseMetadata } | undefined)?.output);
          return result;
        } catch (err) {
          recordMetadata(span, err as ResponseMetadata);
          const name = err instanceof Error ? err.name : 'Error';
          span.setAttribute(ATTR_ERROR_TYPE, name);
          // The name only: an AWS error message can quote the request (resource names, policy text).
          span.setStatus({ code: SpanStatusCode.ERROR, message: name });
          throw err;
        } finally {
          span.end();
        }
      });
  };
}

function recordMetadata(span: Span, response: ResponseMetadata | undefined): void {
  const metadata = response?.$metadata;
  if (!metadata || !span.isRecording()) return;
  if (metadata.httpStatusCode !== undefined) {
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, metadata.httpStatusCode);
  }
  if (metadata.requestId) span.setAttribute(ATTR_AWS_REQUEST_ID, metadata.requestId);
}
