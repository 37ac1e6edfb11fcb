/**
 * Span attribute names of the OpenTelemetry semantic conventions that are still incubating (AWS SDK, messaging, cloud).
 * The conventions package asks users to copy these rather than import them, since they may change between its minor
 * versions; the stable ones (`http.response.status_code`, `error.type`) are imported where used.
 */

/** `rpc.system`: `aws-api` for AWS SDK calls. */
export const ATTR_RPC_SYSTEM = 'rpc.system';
/** `rpc.service`: the AWS service (`S3`, `EC2`). */
export const ATTR_RPC_SERVICE = 'rpc.service';
/** `rpc.method`: the AWS operation (`PutPublicAccessBlock`). */
export const ATTR_RPC_METHOD = 'rpc.method';
/** `cloud.region`: the region a call was sent to. */
export const ATTR_CLOUD_REGION = 'cloud.region';
/** `cloud.account.id`: the account a call acts in. */
export const ATTR_CLOUD_ACCOUNT_ID = 'cloud.account.id';
/** `aws.request_id`: the request id AWS answered with (what AWS support asks for). */
export const ATTR_AWS_REQUEST_ID = 'aws.request_id';
/** `messaging.system`: `aws_sqs` for the ingest queue. */
export const ATTR_MESSAGING_SYSTEM = 'messaging.system';
/** `messaging.operation.type`: `process` for handling a received message. */
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
/** `messaging.destination.name`: the queue's name. */
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
/** `messaging.message.id`: SQS's message id. */
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id';
