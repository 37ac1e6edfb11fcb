/**
 * Playbook `cloudtrail-multi-region-logging`: the account has at least one multi-Region CloudTrail trail that is
 * logging and records all management events, read and write (Config `multi-region-cloudtrail-enabled`, source
 * MULTI_REGION_CLOUD_TRAIL_ENABLED, periodic, on `AWS::::Account`; Security Hub CloudTrail.1, `AwsAccount`).
 *
 * It fixes an existing trail rather than add a second one (every extra copy of management events is billed), in this
 * order of preference, each change its own step with an exact undo:
 *
 * 1. a multi-Region trail of this account and region that records all management events but is not logging:
 *    StartLogging (undo StopLogging);
 * 2. else such a single-Region trail (one already logging first, then by name): UpdateTrail IsMultiRegionTrail=true,
 *    with IncludeGlobalServiceEvents=true where it was off, as CloudTrail requires for a multi-Region trail (undo:
 *    both as they were), then StartLogging if it was not logging;
 * 3. only when the account has no trail at all: CreateTrail (multi-Region, global service events, log file
 *    validation on) named by the option `trailName` (default `remediator-multi-region-trail`), delivering to the
 *    bucket of the option `s3BucketName` (undo DeleteTrail), then StartLogging. The bucket and its policy letting
 *    CloudTrail write are the operator's: without `s3BucketName` the finding is escalated.
 *
 * A trail that records only some management events (read-only or write-only selectors, excluded event sources) is not
 * widened, and a trail homed in another region or owned by another account (an organization trail) cannot be changed
 * from here: when trails exist but none of them qualifies, the finding is escalated with the reasons (the last step
 * still plans, so the account never reads as compliant; `cannotFix` stops it before any change). Undo finds the
 * trail a step worked on from the recorded prior state (the same choice the fix made), so a rollback gives back
 * exactly the recorded trails.
 *
 * "All management events": no event selectors at all (CloudTrail's default, and what moto 5.2.1 returns for a trail
 * nobody set selectors on); basic selectors with management events, no excluded sources, `ReadWriteType` All (or
 * ReadOnly and WriteOnly both); or advanced selectors with one on `eventCategory = Management` alone (or its
 * `readOnly` true and false both). A trail seen from another region whose selectors cannot be read here counts as
 * unread, never as all.
 */
import {
  CloudTrailClient,
  CreateTrailCommand,
  DeleteTrailCommand,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  StartLoggingCommand,
  StopLoggingCommand,
  UpdateTrailCommand,
} from '@aws-sdk/client-cloudtrail';
import type { GetEventSelectorsCommandOutput } from '@aws-sdk/client-cloudtrail';
import { z } from 'zod';
import { awsErrorName, isNotFound } from '../activities/aws-errors';
import { definePlaybook } from '../kit/playbook-kit';
import type { KitIo } from '../kit/playbook-kit';
import { TRAIL_NAME } from './shared/trail-name';
import { ACCOUNT_RESOURCE } from './shared/account-resource';

const DEFAULT_TRAIL_NAME = 'remediator-multi-region-trail';
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const trail = z.object({
  arn: z.string(),
  name: z.string(),
  homeRegion: z.string(),
  multiRegion: z.boolean(),
  globalServiceEvents: z.boolean(),
  logging: z.boolean(),
  /** Whether it records all management events, read and write; `unread`: its selectors cannot be read from here. */
  managementEvents: z.enum(['all', 'partial', 'unread']),
});
type Trail = z.infer<typeof trail>;
type State = { trails: Trail[] };

/** The account of a trail's ARN (`arn:aws:cloudtrail:<region>:<account>:trail/<name>`). */
const ownerOf = (t: Trail) => t.arn.split(':')[4] ?? '';

const compliant = (s: State) =>
  s.trails.some((t) => t.multiRegion && t.logging && t.managementEvents === 'all');

/** What the fix does to the account, decided from one state (the fresh one to fix, the recorded one to undo). */
type Choice =
  | { kind: 'compliant' }
  | { kind: 'start'; trail: Trail }
  | { kind: 'extend'; trail: Trail }
  | { kind: 'create'; name: string; bucket: string | undefined }
  | { kind: 'none'; reason: string };

const trailNameOf = ({ options }: KitIo) =>
  typeof options.trailName === 'string' ? options.trailName : DEFAULT_TRAIL_NAME;
const bucketOf = ({ options }: KitIo) =>
  typeof options.s3BucketName === 'string' ? options.s3BucketName : undefined;

function choice(s: State, io: KitIo): Choice {
  if (compliant(s)) return { kind: 'compliant' };
  if (s.trails.length === 0) return { kind: 'create', name: trailNameOf(io), bucket: bucketOf(io) };
  const { account, region } = io.resource;
  const ours = s.trails
    .filter((t) => t.homeRegion === region && ownerOf(t) === account && t.managementEvents === 'all')
    .sort((a, b) => a.name.localeCompare(b.name));
  // Every multi-Region one of ours is stopped (else the account would be compliant): start it.
  const stopped = ours.find((t) => t.multiRegion);
  if (stopped) return { kind: 'start', trail: stopped };
  const single = ours.find((t) => t.logging) ?? ours[0];
  if (single) return { kind: 'extend', trail: single };
  const why = s.trails.map((t) =>
    ownerOf(t) !== account
      ? `${t.name} belongs to account ${ownerOf(t)}`
      : t.homeRegion !== region
        ? `${t.name} is homed in ${t.homeRegion}`
        : `${t.name} records ${t.managementEvents === 'partial' ? 'only some' : 'unreadable'} management events`,
  );
  return {
    kind: 'none',
    reason: `no trail can be made a logging multi-Region trail of all management events from here (${why.join('; ')}): widen one by hand`,
  };
}

/** Whether the selectors record every management event, read and write. */
function managementEventsOf(out: GetEventSelectorsCommandOutput): 'all' | 'partial' {
  const advanced = out.AdvancedEventSelectors ?? [];
  if (advanced.length > 0) {
    const rest = advanced
      .filter((a) =>
        (a.FieldSelectors ?? []).some(
          (f) => f.Field === 'eventCategory' && (f.Equals ?? []).includes('Management'),
        ),
      )
      .map((a) => (a.FieldSelectors ?? []).filter((f) => f.Field !== 'eventCategory'));
    const onlyReadOnly = (value: string) =>
      rest.some(
        (fields) =>
          fields.length === 1 &&
          fields[0]?.Field === 'readOnly' &&
          fields[0].Equals?.length === 1 &&
          fields[0].Equals[0] === value,
      );
    return rest.some((fields) => fields.length === 0) || (onlyReadOnly('true') && onlyReadOnly('false'))
      ? 'all'
      : 'partial';
  }
  const basic = out.EventSelectors ?? [];
  // No selectors: CloudTrail's default, all management events.
  if (basic.length === 0) return 'all';
  const kinds = new Set(
    basic
      .filter(
        (e) => e.IncludeManagementEvents !== false && (e.ExcludeManagementEventSources ?? []).length === 0,
      )
      .map((e) => e.ReadWriteType ?? 'All'),
  );
  return kinds.has('All') || (kinds.has('ReadOnly') && kinds.has('WriteOnly')) ? 'all' : 'partial';
}

/** Errors that say a trail seen from this region cannot be read here (it is gone, or homed elsewhere). */
const unreadable = (err: unknown) =>
  isNotFound(err) ||
  ['InvalidHomeRegionException', 'UnsupportedOperationException'].includes(awsErrorName(err));

/** A trail of the recorded state as it is now (by ARN, which changing it keeps), or undefined when it is gone. */
const nowOf = (current: State, arn: string) => current.trails.find((t) => t.arn === arn);

/** The trail `create-trail` made, as it is now. */
const createdOf = (current: State, name: string, { resource }: KitIo) =>
  current.trails.find(
    (t) => t.name === name && t.homeRegion === resource.region && ownerOf(t) === resource.account,
  );

export const cloudtrailMultiRegionLogging = definePlaybook({
  id: 'cloudtrail-multi-region-logging',
  title: 'Make sure a multi-Region CloudTrail trail logs all management events',
  kind: 'configuration',
  defaultMode: 'auto',
  roleFamily: 'configuration',
  resource: ACCOUNT_RESOURCE,
  defaultSeverity: 7,
  triggers: {
    configRules: {
      'multi-region-cloudtrail-enabled': { identifier: 'MULTI_REGION_CLOUD_TRAIL_ENABLED', periodic: true },
    },
    securityHubControls: ['CloudTrail.1'],
  },
  iamActions: [
    'cloudtrail:DescribeTrails',
    'cloudtrail:GetTrailStatus',
    'cloudtrail:GetEventSelectors',
    'cloudtrail:StartLogging',
    'cloudtrail:StopLogging',
    'cloudtrail:UpdateTrail',
    'cloudtrail:CreateTrail',
    'cloudtrail:DeleteTrail',
  ],
  state: z.object({ trails: z.array(trail) }),

  async read({ client, resource, abortSignal }) {
    const cloudtrail = client(CloudTrailClient);
    // Shadow trails included: a multi-Region trail homed in another region counts here too.
    const listed = (
      await cloudtrail.send(new DescribeTrailsCommand({ includeShadowTrails: true }), { abortSignal })
    ).trailList;
    const trails: Trail[] = [];
    for (const t of listed ?? []) {
      if (!t.TrailARN || !t.Name) continue;
      const homeRegion = t.HomeRegion ?? t.TrailARN.split(':')[3] ?? resource.region;
      let logging: boolean;
      try {
        logging =
          (await cloudtrail.send(new GetTrailStatusCommand({ Name: t.TrailARN }), { abortSignal }))
            .IsLogging === true;
      } catch (err) {
        // Deleted since it was listed.
        if (isNotFound(err)) continue;
        throw err;
      }
      let managementEvents: Trail['managementEvents'];
      try {
        managementEvents = managementEventsOf(
          await cloudtrail.send(new GetEventSelectorsCommand({ TrailName: t.TrailARN }), { abortSignal }),
        );
      } catch (err) {
        if (!unreadable(err)) throw err;
        managementEvents = 'unread';
      }
      trails.push({
        arn: t.TrailARN,
        name: t.Name,
        homeRegion,
        multiRegion: t.IsMultiRegionTrail === true,
        globalServiceEvents: t.IncludeGlobalServiceEvents === true,
        logging,
        managementEvents,
      });
    }
    return { trails: trails.sort((a, b) => a.arn.localeCompare(b.arn)) };
  },
  describe: (s) =>
    s.trails.length === 0
      ? 'no CloudTrail trail'
      : s.trails
          .map(
            (t) =>
              `${t.name} (${t.multiRegion ? 'multi-Region' : `single-Region, ${t.homeRegion}`}, ${t.logging ? 'logging' : 'not logging'}, ${t.managementEvents} management events)`,
          )
          .join('; '),
  cannotFix(s, io) {
    const c = choice(s, io);
    if (c.kind === 'none') return c.reason;
    if (c.kind !== 'create') return undefined;
    if (!TRAIL_NAME.test(c.name)) {
      return `the policy's trailName ${JSON.stringify(c.name)} is not a valid trail name (3–128 letters, digits, . _ -)`;
    }
    if (!c.bucket || !BUCKET_NAME.test(c.bucket)) {
      return 'the account has no CloudTrail trail and the policy gives no bucket for one (playbooks.cloudtrail-multi-region-logging.options.s3BucketName, a bucket whose policy lets CloudTrail write)';
    }
    return undefined;
  },

  steps: [
    {
      id: 'create-trail',
      title: 'CreateTrail (multi-Region) when the account has none',
      onFailure: 'compensate',
      plan(s, io) {
        const c = choice(s, io);
        return c.kind === 'create'
          ? `CreateTrail ${c.name} (multi-Region, all management events, log file validation) delivering to ${c.bucket ?? '(policy option s3BucketName)'}`
          : undefined;
      },
      async apply(io, current) {
        const c = choice(current, io);
        // cannotFix stops a run without a bucket before any step; this is only a guard.
        if (c.kind !== 'create' || !c.bucket)
          throw new Error('cloudtrail-multi-region-logging: nothing to create');
        await io.client(CloudTrailClient).send(
          new CreateTrailCommand({
            Name: c.name,
            S3BucketName: c.bucket,
            IsMultiRegionTrail: true,
            IncludeGlobalServiceEvents: true,
            EnableLogFileValidation: true,
          }),
          { abortSignal: io.abortSignal },
        );
        return { changed: true, detail: `CreateTrail ${c.name} → s3://${c.bucket}` };
      },
      async undo(io, prior, current) {
        const c = choice(prior, io);
        const made = c.kind === 'create' ? createdOf(current, c.name, io) : undefined;
        if (c.kind !== 'create' || !made) return { changed: false, detail: 'already as recorded' };
        await io.client(CloudTrailClient).send(new DeleteTrailCommand({ Name: made.name }), {
          abortSignal: io.abortSignal,
        });
        return { changed: true, detail: `DeleteTrail ${made.name} (there was no trail)` };
      },
    },
    {
      id: 'make-multi-region',
      title: 'UpdateTrail IsMultiRegionTrail=true on a single-Region trail',
      onFailure: 'compensate',
      plan(s, io) {
        const c = choice(s, io);
        return c.kind === 'extend'
          ? `UpdateTrail IsMultiRegionTrail=true${c.trail.globalServiceEvents ? '' : ', IncludeGlobalServiceEvents=true'} on ${c.trail.name}`
          : undefined;
      },
      async apply(io, current) {
        const c = choice(current, io);
        if (c.kind !== 'extend') throw new Error('cloudtrail-multi-region-logging: no trail to extend');
        await io.client(CloudTrailClient).send(
          new UpdateTrailCommand({
            Name: c.trail.name,
            IsMultiRegionTrail: true,
            ...(c.trail.globalServiceEvents ? {} : { IncludeGlobalServiceEvents: true }),
          }),
          { abortSignal: io.abortSignal },
        );
        return { changed: true, detail: `${c.trail.name} made multi-Region` };
      },
      async undo(io, prior, current) {
        const c = choice(prior, io);
        const now = c.kind === 'extend' ? nowOf(current, c.trail.arn) : undefined;
        if (c.kind !== 'extend' || !now || !now.multiRegion)
          return { changed: false, detail: 'already as recorded' };
        await io.client(CloudTrailClient).send(
          new UpdateTrailCommand({
            Name: now.name,
            IsMultiRegionTrail: false,
            IncludeGlobalServiceEvents: c.trail.globalServiceEvents,
          }),
          { abortSignal: io.abortSignal },
        );
        return { changed: true, detail: `${now.name} single-Region again (as it was)` };
      },
    },
    {
      id: 'start-logging',
      title: 'StartLogging on the chosen trail',
      onFailure: 'compensate',
      plan(s, io) {
        const c = choice(s, io);
        switch (c.kind) {
          case 'compliant':
            return undefined;
          case 'start':
            return `StartLogging on ${c.trail.name}`;
          case 'extend':
            return c.trail.logging ? undefined : `StartLogging on ${c.trail.name}`;
          case 'create':
            return `StartLogging on ${c.name} once created`;
          // Still non-compliant, though nothing here can fix it: cannotFix escalates with the reason.
          case 'none':
            return 'StartLogging on a multi-Region trail of all management events (none can be made one from here)';
        }
      },
      async apply(io, current) {
        // Fresh: the trail extended or created by the steps before is a stopped multi-Region trail by now.
        const c = choice(current, io);
        if (c.kind !== 'start' && c.kind !== 'extend')
          throw new Error('cloudtrail-multi-region-logging: no trail to start');
        await io.client(CloudTrailClient).send(new StartLoggingCommand({ Name: c.trail.name }), {
          abortSignal: io.abortSignal,
        });
        return { changed: true, detail: `StartLogging ${c.trail.name}` };
      },
      async undo(io, prior, current) {
        // The trail the fix started: the recorded choice's (stopped before), or the one it created.
        const c = choice(prior, io);
        const target =
          c.kind === 'start' || c.kind === 'extend'
            ? c.trail.logging
              ? undefined
              : nowOf(current, c.trail.arn)
            : c.kind === 'create'
              ? createdOf(current, c.name, io)
              : undefined;
        if (!target || !target.logging) return { changed: false, detail: 'already as recorded' };
        await io.client(CloudTrailClient).send(new StopLoggingCommand({ Name: target.name }), {
          abortSignal: io.abortSignal,
        });
        return { changed: true, detail: `StopLogging ${target.name} (it was not logging)` };
      },
    },
  ],
});
