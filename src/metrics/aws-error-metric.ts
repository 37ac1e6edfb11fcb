/**
 * The AWS API error metric (docs/observability.md): every failed call the worker's clients make, by service, error
 * code and class, classified as the retries classify it (src/activities/aws-errors.ts).
 */
import { awsErrorClass, awsErrorName } from '../activities/aws-errors';
import type { MetricsRecorder } from './recorder';

/** The `onCallError` hook of the worker's AWS clients, counting into `recorder`. */
export function awsErrorCounter(recorder: MetricsRecorder): (service: string, err: unknown) => void {
  return (service, err) => {
    // An abort is our own cancellation, not an AWS failure.
    if ((err as { name?: unknown } | null)?.name === 'AbortError') return;
    recorder.record('awsApiErrors', {
      service: serviceLabel(service),
      code: awsErrorName(err),
      class: awsErrorClass(err),
    });
  };
}

/** `s3`, `ec2`, ...: the client cache's key for a named client, or the class name of a kit client (`S3ControlClient`). */
export function serviceLabel(service: string): string {
  return service
    .replace(/^class:/, '')
    .replace(/Client$/, '')
    .toLowerCase();
}
