/**
 * Playbook `s3-bucket-ssl-only`: a bucket policy that denies every request not sent over TLS (Config
 * `s3-bucket-ssl-requests-only`, source S3_BUCKET_SSL_REQUESTS_ONLY, on `AWS::S3::Bucket`; Security Hub S3.5).
 *
 * The fix merges one statement into the bucket's policy: `Deny` to `Principal: "*"` of `s3:*` on the bucket and its
 * objects when `aws:SecureTransport` is `false`. Every other statement is sent back as the same JSON object it was
 * read as; a bucket without a policy gets a policy of that one statement. A bucket already counts as compliant when
 * any Deny statement with that condition covers `s3:*` on the bucket and its objects (whatever its Sid).
 *
 * The state is the policy text itself (or `null`: no policy), so rollback puts the recorded document back exactly, or
 * deletes the policy when there was none. Calls carry `ExpectedBucketOwner`: a bucket name is global, and a bucket of
 * the same name in another account is never read or written. Automatic by default: only plain-HTTP requests are
 * refused (AWS's own SDKs and consoles use HTTPS).
 */
import {
  DeleteBucketPolicyCommand,
  GetBucketPolicyCommand,
  PutBucketPolicyCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import { awsErrorName, isNotFound } from '../activities/aws-errors';
import type { KitIo } from '../kit/playbook-kit';
import { definePlaybook } from '../kit/playbook-kit';
import { BUCKET_RESOURCE } from './shared/resource-ids';

/** The Sid of the statement this playbook adds. */
export const SSL_ONLY_SID = 'RemediatorDenyInsecureTransport';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Statement = { [key: string]: Json };

/** The bucket's ARN in its region's partition. */
function bucketArn(io: KitIo): string {
  const { region } = io.resource;
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:s3:::${io.resource.resourceId}`;
}

/** The statement the fix adds. */
function sslOnlyStatement(arn: string): Statement {
  return {
    Sid: SSL_ONLY_SID,
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [arn, `${arn}/*`],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}

const isObject = (v: Json | undefined): v is { [key: string]: Json } =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: Json | undefined): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Whether an IAM resource pattern (`*`, `?` wildcards) matches the ARN `value` (case-sensitively, as IAM does). */
function wildcard(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(value);
}

/** The policy document, or `undefined` when the text is not a JSON object (AWS never stores one). */
function parsePolicy(text: string): { [key: string]: Json } | undefined {
  try {
    const doc = JSON.parse(text) as Json;
    return isObject(doc) ? doc : undefined;
  } catch {
    return undefined;
  }
}

/** The statements of a policy document (a single statement object counts as one). */
const statementsOf = (doc: { [key: string]: Json }): Json[] => list(doc.Statement);

/**
 * Whether a statement denies every principal all of `s3:*` on the bucket and its objects (on anything, without `arn`)
 * whenever the request is not sent over TLS: what the Config rule looks for. Any other condition alongside makes it
 * narrower, so it does not count.
 */
function deniesInsecureTransport(statement: Json, arn?: string): boolean {
  if (!isObject(statement) || statement.Effect !== 'Deny' || 'NotAction' in statement) return false;
  if ('NotPrincipal' in statement || 'NotResource' in statement) return false;
  const principal = statement.Principal;
  const everyone = principal === '*' || (isObject(principal) && list(principal.AWS).includes('*'));
  const actions = list(statement.Action);
  const allS3 = actions.some((a) => typeof a === 'string' && (a === '*' || a.toLowerCase() === 's3:*'));
  const resources = list(statement.Resource).filter((r): r is string => typeof r === 'string');
  const covers = (target: string) => resources.some((r) => wildcard(r, target));
  const onBucket = arn === undefined || (covers(arn) && covers(`${arn}/*`));
  const condition = statement.Condition;
  if (!isObject(condition) || Object.keys(condition).join() !== 'Bool' || !isObject(condition.Bool)) {
    return false;
  }
  const tests = Object.entries(condition.Bool);
  const insecure =
    tests.length === 1 &&
    tests.every(
      ([key, value]) =>
        key.toLowerCase() === 'aws:securetransport' &&
        list(value).length > 0 &&
        list(value).every((v) => v === 'false' || v === false),
    );
  return everyone && allS3 && onBucket && insecure;
}

/** What the policy text says, for the state's description and the plan. */
function analyse(
  text: string | null,
  arn: string,
): 'none' | 'enforced' | 'missing' | 'unreadable' | 'sid-taken' {
  if (text === null) return 'none';
  const doc = parsePolicy(text);
  if (!doc) return 'unreadable';
  const statements = statementsOf(doc);
  if (statements.some((s) => deniesInsecureTransport(s, arn))) return 'enforced';
  return statements.some((s) => isObject(s) && s.Sid === SSL_ONLY_SID) ? 'sid-taken' : 'missing';
}

/** The policy text with the statement added; every other statement is the same JSON object as before. */
function withSslOnly(text: string | null, arn: string): string {
  const added = sslOnlyStatement(arn);
  if (text === null) return JSON.stringify({ Version: '2012-10-17', Statement: [added] });
  const doc = parsePolicy(text);
  if (!doc) throw new Error('the bucket policy is not a JSON object');
  return JSON.stringify({ ...doc, Statement: [...statementsOf(doc), added] });
}

export const s3BucketSslOnly = definePlaybook({
  id: 's3-bucket-ssl-only',
  title: 'Deny requests to an S3 bucket that are not sent over TLS',
  kind: 'configuration',
  defaultMode: 'auto',
  roleFamily: 'configuration',
  resource: BUCKET_RESOURCE,
  defaultSeverity: 5,
  triggers: {
    configRules: { 's3-bucket-ssl-requests-only': { identifier: 'S3_BUCKET_SSL_REQUESTS_ONLY' } },
    securityHubControls: ['S3.5'],
  },
  iamActions: ['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy'],
  // The policy exactly as S3 returned it; `null`: the bucket has none.
  state: z.object({ policy: z.string().nullable() }),

  async read({ client, resource, abortSignal }) {
    try {
      const out = await client(S3Client).send(
        new GetBucketPolicyCommand({ Bucket: resource.resourceId, ExpectedBucketOwner: resource.account }),
        { abortSignal },
      );
      return { policy: out.Policy ?? null };
    } catch (err) {
      // NoSuchBucketPolicy: the bucket is there without a policy; NoSuchBucket (or any other not-found): it is gone.
      if (awsErrorName(err) === 'NoSuchBucketPolicy') return { policy: null };
      if (isNotFound(err)) return undefined;
      throw err;
    }
  },
  describe(s) {
    if (s.policy === null) return 'no bucket policy';
    const doc = parsePolicy(s.policy);
    if (!doc) return 'a bucket policy that is not a JSON object';
    const statements = statementsOf(doc);
    return statements.some((st) => deniesInsecureTransport(st))
      ? `bucket policy of ${statements.length} statement(s), denying requests without TLS`
      : `bucket policy of ${statements.length} statement(s), none denying requests without TLS`;
  },
  cannotFix(s, io) {
    const found = analyse(s.policy, bucketArn(io));
    if (found === 'unreadable') return 'the bucket policy is not a JSON object: fix it by hand';
    if (found === 'sid-taken') {
      return `the bucket policy already has a statement ${SSL_ONLY_SID} that does not deny requests without TLS: review it by hand`;
    }
    return undefined;
  },

  steps: [
    {
      id: 'deny-insecure-transport',
      title: `PutBucketPolicy with a ${SSL_ONLY_SID} statement merged in`,
      onFailure: 'compensate',
      plan(s, io) {
        const found = analyse(s.policy, bucketArn(io));
        if (found === 'enforced') return undefined;
        return found === 'none'
          ? `PutBucketPolicy on ${io.resource.resourceId}: a new policy denying s3:* without TLS`
          : `PutBucketPolicy on ${io.resource.resourceId}: statement ${SSL_ONLY_SID} (deny s3:* without TLS) added, the others unchanged`;
      },
      async apply(io, current) {
        const { resource, abortSignal } = io;
        await io.client(S3Client).send(
          new PutBucketPolicyCommand({
            Bucket: resource.resourceId,
            ExpectedBucketOwner: resource.account,
            Policy: withSslOnly(current.policy, bucketArn(io)),
          }),
          { abortSignal },
        );
        return {
          changed: true,
          detail: current.policy === null ? `new policy with ${SSL_ONLY_SID}` : `${SSL_ONLY_SID} merged in`,
        };
      },
      async undo({ client, resource, abortSignal }, prior, current) {
        if (prior.policy === current.policy) return { changed: false, detail: 'already as recorded' };
        const s3 = client(S3Client);
        const target = { Bucket: resource.resourceId, ExpectedBucketOwner: resource.account };
        if (prior.policy === null) {
          await s3.send(new DeleteBucketPolicyCommand(target), { abortSignal });
          return { changed: true, detail: 'DeleteBucketPolicy (there was none)' };
        }
        await s3.send(new PutBucketPolicyCommand({ ...target, Policy: prior.policy }), { abortSignal });
        return { changed: true, detail: 'PutBucketPolicy with the recorded policy document' };
      },
    },
  ],
});
