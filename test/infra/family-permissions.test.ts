/**
 * The permission tables against the code, per role family: the SDK commands each playbook's files send (read from the
 * source, following its own imports) are exactly what its family's role grants, the shared reads are the detection
 * role's, and no family grants an action no code of it sends.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { CATALOGUE, CATALOGUE_IDS } from '../../src/playbooks/catalogue';
import type { CatalogueId as PlaybookId } from '../../src/playbooks/catalogue';
import { ROLE_FAMILIES } from '../../src/domain/role-families';
import type { RoleFamily } from '../../src/domain/role-families';
import { allActions, FAMILY_PERMISSIONS } from '../../infra/lib/worker-permissions';
import { KIT_PLAYBOOKS } from '../../src/playbooks';

const ROOT = join(__dirname, '../..');

/** SDK command → IAM action where the two names differ (or the import is aliased). */
const ACTION_OF: Record<string, string> = {
  HeadBucket: 's3:ListBucket',
  GetPublicAccessBlock: 's3:GetBucketPublicAccessBlock',
  PutPublicAccessBlock: 's3:PutBucketPublicAccessBlock',
  DeletePublicAccessBlock: 's3:PutBucketPublicAccessBlock',
  GetBucketTagging: 's3:GetBucketTagging',
  PutObject: 's3:PutObject',
  DescribeAsgTags: 'autoscaling:DescribeTags',
  GetGuardDutyFindings: 'guardduty:GetFindings',
  DeleteMessageBatch: 'sqs:DeleteMessage',
  GetCallerIdentity: '',
};
/** The same, for commands whose IAM action depends on the client (`client:Command`). */
const ACTION_OF_CLIENT: Record<string, string> = {
  'client-s3-control:GetPublicAccessBlock': 's3:GetAccountPublicAccessBlock',
  'client-s3-control:PutPublicAccessBlock': 's3:PutAccountPublicAccessBlock',
  'client-s3-control:DeletePublicAccessBlock': 's3:PutAccountPublicAccessBlock',
};
const SERVICE_OF: Record<string, string> = {
  'client-s3-control': 's3',
  'client-ec2': 'ec2',
  'client-cloudtrail': 'cloudtrail',
  'client-iam': 'iam',
  'client-kms': 'kms',
  'client-auto-scaling': 'autoscaling',
  'client-cloudwatch': 'cloudwatch',
  'client-config-service': 'config',
  'client-securityhub': 'securityhub',
  'client-guardduty': 'guardduty',
  'client-elastic-load-balancing-v2': 'elasticloadbalancing',
  'client-sns': 'sns',
  'client-sqs': 'sqs',
  'client-s3': 's3',
  'client-sts': 'sts',
  'client-rds': 'rds',
  'client-lambda': 'lambda',
  'client-ssm': 'ssm',
};

/** The IAM actions one file's SDK commands need (`new XCommand(` of an `XCommand` it imports). */
function actionsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const actions: string[] = [];
  for (const m of text.matchAll(/import \{([^}]+)\} from '@aws-sdk\/(client-[a-z0-9-]+)'/g)) {
    const service = SERVICE_OF[m[2] ?? ''];
    if (!service) throw new Error(`${file}: no IAM service recorded for @aws-sdk/${m[2]}`);
    for (const name of (m[1] ?? '').split(',').map((n) => n.trim().split(' as ').pop() ?? '')) {
      const command = /^(\w+)Command$/.exec(name)?.[1];
      if (!command || !text.includes(`new ${name}(`)) continue;
      const action = ACTION_OF_CLIENT[`${m[2]}:${command}`] ?? ACTION_OF[command] ?? `${service}:${command}`;
      if (action) actions.push(action);
    }
  }
  return actions;
}

/** A file and the files it imports (values, not types) under src/activities, src/playbooks and src/kit, transitively. */
function withImports(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^import (type )?[^;]*? from '(\.{1,2}\/[^']+)';/gms)) {
    if (m[1]) continue;
    const target = resolve(dirname(file), `${m[2]}.ts`);
    const ours = ['src/activities', 'src/playbooks', 'src/kit'].some((d) => target.startsWith(join(ROOT, d)));
    if (ours && existsSync(target)) withImports(target, seen);
  }
  return seen;
}

const neededBy = (files: Iterable<string>) => new Set([...files].flatMap(actionsOf));
/** A kit playbook's file (src/playbooks), or a playbook written before the kit (src/activities/playbooks). */
const playbookFile = (id: PlaybookId) => {
  const kit = join(ROOT, 'src/playbooks', `${id}.ts`);
  return existsSync(kit) ? kit : join(ROOT, 'src/activities/playbooks', `${id}.ts`);
};
const familyActions = (family: RoleFamily) => new Set(allActions(FAMILY_PERMISSIONS[family]));
const minus = (a: Iterable<string>, b: Set<string>) => [...new Set(a)].filter((x) => !b.has(x)).sort();

/**
 * Calls a playbook makes through a second family's clients, as its declaration says (`borrows`): the isolation
 * playbook stops an instance through the availability role.
 */
const THROUGH: Partial<Record<PlaybookId, { family: RoleFamily; actions: readonly string[] }>> =
  Object.fromEntries(KIT_PLAYBOOKS.flatMap((p) => (p.borrows ? [[p.id, p.borrows]] : [])));

/**
 * Actions a kit playbook sends that its family's table grants apart, only under a condition its declaration cannot
 * express: the isolation playbook's ModifyInstanceAttribute, one statement per attribute it may set
 * (infra/lib/worker-permissions.ts, NETWORK_CONTAINMENT), never the whole action.
 */
const CONDITIONED: Partial<Record<string, readonly string[]>> = {
  'ec2-isolate-instance': ['ec2:ModifyInstanceAttribute'],
};

/** Files whose calls use the base (detection) clients: finding confirmation, controls, write-back, health guard, sweep. */
const DETECTION_FILES = [
  'src/activities/confirm-finding.ts',
  'src/activities/resource-tags.ts',
  'src/activities/write-back.ts',
  'src/activities/health-guard.ts',
  'src/ingest/sweep.ts',
  'src/ingest/config-rule-resolver.ts',
].map((f) => join(ROOT, f));

/** Files whose calls are the worker's or the bridge's own (their topics, queue, bucket): not a member role's. */
const OWN_RESOURCE_FILES = [
  'src/activities/audit.ts',
  'src/activities/notify.ts',
  'src/activities/tickets/sns-sink.ts',
  'src/ingest/sqs-bridge.ts',
  'src/ingest/delete-batcher.ts',
  'src/ingest/message-hold.ts',
  'src/ingest/security-alert.ts',
  'src/ingest/sweep-account.ts',
].map((f) => join(ROOT, f));

it.each(CATALOGUE_IDS)(
  '%s: every command its files send is granted to its family role (or the one it borrows)',
  (id) => {
    const { roleFamily } = CATALOGUE[id];
    const through = THROUGH[id];
    const needed = [...neededBy(withImports(playbookFile(id)))];
    const own = needed.filter((a) => !through?.actions.includes(a));
    expect(minus(own, familyActions(roleFamily))).toEqual([]);
    if (through) {
      const borrowed = needed.filter((a) => through.actions.includes(a));
      expect(minus(borrowed, familyActions(through.family))).toEqual([]);
      // What it borrows stays out of its own family's role.
      expect(through.actions.filter((a) => familyActions(roleFamily).has(a))).toEqual([]);
    }
  },
);

it('gives the detection role exactly what confirmation, controls, write-back, health guard and sweep send', () => {
  const needed = neededBy(DETECTION_FILES.flatMap((f) => [...withImports(f)]));
  expect(minus(needed, familyActions('detection'))).toEqual([]);
  expect(minus(familyActions('detection'), needed)).toEqual([]);
});

it.each(ROLE_FAMILIES.filter((f) => f !== 'detection'))(
  'the %s role grants nothing its playbooks do not send',
  (family) => {
    const ids = CATALOGUE_IDS.filter((id) => CATALOGUE[id].roleFamily === family);
    const borrowing = (Object.keys(THROUGH) as PlaybookId[]).filter((id) => THROUGH[id]?.family === family);
    // A kit playbook's declared extras: actions AWS checks beside its commands', and passing a role to a service.
    const extras = KIT_PLAYBOOKS.filter((p) => p.roleFamily === family).flatMap((p) => [
      ...(p.dependentActions ?? []),
      ...(p.passesRoleTo?.length ? ['iam:PassRole'] : []),
    ]);
    const needed = new Set([
      ...ids.flatMap((id) => [...neededBy(withImports(playbookFile(id)))]),
      ...borrowing.flatMap((id) => THROUGH[id]?.actions ?? []),
      ...extras,
    ]);
    expect(ids.length).toBeGreaterThan(0);
    expect(minus(familyActions(family), needed)).toEqual([]);
  },
);

it('keeps stop and start in the availability role only, and IAM writes in the iam-containment role only', () => {
  for (const family of ROLE_FAMILIES) {
    const actions = [...familyActions(family)];
    if (family !== 'availability') {
      expect(actions.filter((a) => /^ec2:(Stop|Start)Instances$/.test(a))).toEqual([]);
    }
    if (family !== 'iam-containment') {
      // Passing a role only to a named service (a flow log's delivery role) is no IAM write.
      const boundPassRole = FAMILY_PERMISSIONS[family].every(
        (g) => !g.actions.includes('iam:PassRole') || g.conditions?.StringEquals?.['iam:PassedToService'],
      );
      expect(boundPassRole).toBe(true);
      expect(
        actions.filter((a) => a.startsWith('iam:') && a !== 'iam:ListUserTags' && a !== 'iam:PassRole'),
      ).toEqual([]);
    }
  }
});

it('knows every file that sends an AWS call: a playbook, a shared read, or the worker or bridge on its own resources', () => {
  const playbookFiles = CATALOGUE_IDS.flatMap((id) => [...withImports(playbookFile(id))]);
  const known = new Set([
    ...playbookFiles,
    ...DETECTION_FILES.flatMap((f) => [...withImports(f)]),
    ...OWN_RESOURCE_FILES,
  ]);
  const sending = ['src/activities', 'src/ingest']
    .flatMap((d) =>
      readdirSync(join(ROOT, d), { recursive: true, encoding: 'utf8' }).map((f) => join(ROOT, d, f)),
    )
    .filter((f) => f.endsWith('.ts') && /new \w+Command\(/.test(readFileSync(f, 'utf8')));
  expect(sending.filter((f) => !known.has(f)).map((f) => relative(ROOT, f))).toEqual([]);
});

it.each(KIT_PLAYBOOKS.map((p) => [p.id, p] as const))(
  '%s: the IAM actions it declares (tagging and borrowed ones included) are exactly the commands its file sends',
  (id, playbook) => {
    const sent = [...new Set(neededBy(withImports(playbookFile(id))))].sort();
    // Its tagging actions are declared apart, granted only for its own tag keys.
    const declared = [
      ...playbook.iamActions,
      ...(playbook.tags ?? []).flatMap((grant) => grant.actions),
      ...(playbook.borrows?.actions ?? []),
      ...(CONDITIONED[id] ?? []),
    ];
    expect([...new Set(declared)].sort()).toEqual(sent);
  },
);

it('grants the actions a kit playbook leaves to its family table only under conditions, never in its own statement', () => {
  for (const [id, actions] of Object.entries(CONDITIONED)) {
    const playbook = KIT_PLAYBOOKS.find((p) => p.id === id);
    expect(playbook).toBeDefined();
    for (const action of actions ?? []) {
      expect(playbook?.iamActions).not.toContain(action);
      const granting = FAMILY_PERMISSIONS[playbook!.roleFamily].filter((g) => g.actions.includes(action));
      expect(granting.length).toBeGreaterThan(0);
      for (const group of granting) expect(group.conditions).toBeDefined();
    }
  }
});

it('grants a playbook’s tagging only for requests that name its own tag keys, never all tags', () => {
  const tagging = KIT_PLAYBOOKS.filter((p) => p.tags);
  expect(tagging.map((p) => p.id)).toEqual(
    expect.arrayContaining(['ec2-instance-recovery', 'ec2-isolate-instance']),
  );
  for (const playbook of tagging) {
    const actions = new Set(playbook.tags?.flatMap((grant) => grant.actions));
    const groups = FAMILY_PERMISSIONS[playbook.roleFamily].filter((g) =>
      g.actions.some((a) => actions.has(a)),
    );
    expect(groups).toEqual(
      (playbook.tags ?? []).map((grant) =>
        expect.objectContaining({
          actions: grant.actions,
          conditions: {
            'ForAllValues:StringEquals': { 'aws:TagKeys': grant.keys },
            Null: { 'aws:TagKeys': 'false' },
          },
        }),
      ),
    );
  }
  // The isolation playbook removes only its own forensic tags, never the protection tag it creates groups with.
  const isolation = KIT_PLAYBOOKS.find((p) => p.id === 'ec2-isolate-instance');
  const deletable = isolation?.tags
    ?.filter((g) => g.actions.includes('ec2:DeleteTags'))
    .flatMap((g) => g.keys);
  expect(deletable).toEqual(['remediator:guardduty-finding', 'remediator:original-groups']);
});
