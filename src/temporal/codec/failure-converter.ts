/**
 * The failure converter of an encrypting deployment (loaded by path: the worker bundles it into the workflow code):
 * failure messages and stack traces travel as an encoded payload, so the payload codec encrypts them too.
 */
import { DefaultFailureConverter } from '@temporalio/common';

/** `DefaultFailureConverter` with `encodeCommonAttributes`. */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
