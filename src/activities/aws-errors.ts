/**
 * The one place AWS SDK errors become Temporal failures (docs/architecture.md, Retries and errors): permanent errors
 * (access denied, validation, missing target) fail the activity at once, typed with the AWS error name; everything
 * else is left to Temporal's retry policy.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { isNotFoundName } from '../domain/not-found';

/** Client errors that a retry can still fix (throttling, timeouts, transient conflicts). */
const RETRYABLE_CLIENT_ERRORS = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'RequestTimeout',
  'RequestTimeoutException',
  'OperationAborted',
  'ConcurrentModificationException',
  'PriorRequestNotComplete',
  'ExpiredToken',
  'ExpiredTokenException',
  'IDPCommunicationError',
  'EC2ThrottledException',
  'InternalError',
  'ServiceUnavailable',
]);

/** Shape of the fields we read from an AWS SDK v3 service exception. */
interface AwsErrorLike {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  Code?: string;
}

function asAwsError(err: unknown): AwsErrorLike {
  return typeof err === 'object' && err !== null ? err : {};
}

/** The AWS error name (`AccessDenied`, `NoSuchBucket`, ...), or `Error` when the value is not an AWS error. */
export function awsErrorName(err: unknown): string {
  const e = asAwsError(err);
  return e.Code ?? e.name ?? 'Error';
}

/** True for errors that say the target resource (or its sub-configuration) does not exist. */
export function isNotFound(err: unknown): boolean {
  return isNotFoundName(awsErrorName(err)) || asAwsError(err).$metadata?.httpStatusCode === 404;
}

/** True when retrying the same call cannot succeed. */
export function isPermanent(err: unknown): boolean {
  const e = asAwsError(err);
  const name = awsErrorName(err);
  if (RETRYABLE_CLIENT_ERRORS.has(name)) return false;
  if (e.$fault === 'client') return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

const THROTTLING = /thrott|TooManyRequests|RequestLimitExceeded|SlowDown/i;

/** What kind of failure an AWS call's error is, for the error metric: the same judgement the retries make. */
export function awsErrorClass(err: unknown): 'throttled' | 'not_found' | 'permanent' | 'retryable' {
  if (THROTTLING.test(awsErrorName(err))) return 'throttled';
  if (isNotFound(err)) return 'not_found';
  return isPermanent(err) ? 'permanent' : 'retryable';
}

/**
 * Converts any error from an AWS call into an `ApplicationFailure` typed with the AWS error name. Permanent errors are
 * non-retryable; the rest are retryable. The original error stays attached as `cause`.
 */
export function toActivityFailure(err: unknown, action: string): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const name = awsErrorName(err);
  const message = `${action}: ${name}: ${asAwsError(err).message ?? String(err)}`;
  const cause = err instanceof Error ? err : undefined;
  return isPermanent(err)
    ? ApplicationFailure.create({ message, type: name, nonRetryable: true, cause })
    : ApplicationFailure.create({ message, type: name, nonRetryable: false, cause });
}

/** Runs one AWS call and classifies its failure. */
export async function classified<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toActivityFailure(err, action);
  }
}
