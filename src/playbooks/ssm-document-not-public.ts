/**
 * Playbook `ssm-document-not-public`: an SSM document the account owns no longer shared with everyone (Config
 * `ssm-document-not-public`, source SSM_DOCUMENT_NOT_PUBLIC, periodic, on `AWS::SSM::Document`; Security Hub SSM.4).
 * `ModifyDocumentPermission AccountIdsToRemove ['all']`; rollback shares it with `all` again, at the document version
 * that was shared. A document is shared either with everyone or with a list of accounts, never both, so no account's
 * share is lost.
 *
 * Security Hub's ASFF type for documents is not confirmed (docs/catalogue-identifiers.md, open items): `AwsSsmDocument`
 * is what third-party ASFF producers use. Its ARN, `arn:aws:ssm:<region>:<account>:document/<name>`, gives the name.
 * With the account's "block public sharing" setting on (SSM.7), rollback cannot make the document public again.
 */
import {
  DescribeDocumentPermissionCommand,
  ModifyDocumentPermissionCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { z } from 'zod';
import { awsErrorName, isNotFound } from '../activities/aws-errors';
import { definePlaybook } from '../kit/playbook-kit';
import type { KitIo } from '../kit/playbook-kit';

/** The account id that makes a document public. */
const PUBLIC = 'all';
const isPublicId = (accountId: string) => accountId.toLowerCase() === PUBLIC;

const share = z.object({
  accountId: z.string(),
  /** The document version shared (`$DEFAULT`, `$LATEST` or a number), when SSM says. */
  sharedDocumentVersion: z.string().nullable(),
});

async function modify(
  io: KitIo,
  change: { AccountIdsToAdd: string[] } | { AccountIdsToRemove: string[] },
  version?: string,
) {
  await io.client(SSMClient).send(
    new ModifyDocumentPermissionCommand({
      Name: io.resource.resourceId,
      PermissionType: 'Share',
      ...change,
      ...(version ? { SharedDocumentVersion: version } : {}),
    }),
    { abortSignal: io.abortSignal },
  );
}

export const ssmDocumentNotPublic = definePlaybook({
  id: 'ssm-document-not-public',
  title: 'Stop sharing an SSM document publicly',
  kind: 'configuration',
  defaultMode: 'auto',
  roleFamily: 'configuration',
  resource: {
    type: 'AWS::SSM::Document',
    // A document name: 3–128 letters, digits, `_`, `-` and `.`.
    idPattern: /^[A-Za-z0-9_.-]{3,128}$/,
    securityHubType: 'AwsSsmDocument',
  },
  defaultSeverity: 9,
  triggers: {
    configRules: { 'ssm-document-not-public': { identifier: 'SSM_DOCUMENT_NOT_PUBLIC', periodic: true } },
    securityHubControls: ['SSM.4'],
  },
  iamActions: ['ssm:DescribeDocumentPermission', 'ssm:ModifyDocumentPermission'],
  state: z.object({
    /** Who the document is shared with, by account id (`all`: everyone), sorted. */
    sharedWith: z.array(share),
  }),

  async read({ client, resource, abortSignal }) {
    const ssm = client(SSMClient);
    const sharedWith: z.infer<typeof share>[] = [];
    let NextToken: string | undefined;
    try {
      do {
        const out = await ssm.send(
          new DescribeDocumentPermissionCommand({
            Name: resource.resourceId,
            PermissionType: 'Share',
            NextToken,
          }),
          { abortSignal },
        );
        const versions = new Map(
          (out.AccountSharingInfoList ?? []).map((i) => [i.AccountId, i.SharedDocumentVersion]),
        );
        for (const accountId of out.AccountIds ?? []) {
          sharedWith.push({ accountId, sharedDocumentVersion: versions.get(accountId) ?? null });
        }
        NextToken = out.NextToken;
      } while (NextToken);
    } catch (err) {
      // SSM says `InvalidDocument` for a document that does not exist.
      if (isNotFound(err) || awsErrorName(err) === 'InvalidDocument') return undefined;
      throw err;
    }
    return { sharedWith: sharedWith.sort((a, b) => a.accountId.localeCompare(b.accountId)) };
  },
  describe: (s) =>
    s.sharedWith.some((x) => isPublicId(x.accountId))
      ? 'shared publicly'
      : s.sharedWith.length > 0
        ? `shared with ${s.sharedWith.map((x) => x.accountId).join(', ')}`
        : 'not shared',

  steps: [
    {
      id: 'remove-public-share',
      title: "ModifyDocumentPermission AccountIdsToRemove ['all']",
      onFailure: 'compensate',
      plan: (s, { resource }) =>
        s.sharedWith.some((x) => isPublicId(x.accountId))
          ? `ModifyDocumentPermission Share AccountIdsToRemove [all] on ${resource.resourceId}`
          : undefined,
      async apply(io) {
        await modify(io, { AccountIdsToRemove: [PUBLIC] });
        return { changed: true, detail: 'no longer shared publicly' };
      },
      async undo(io, prior, current) {
        const was = prior.sharedWith.find((x) => isPublicId(x.accountId));
        if (!was || current.sharedWith.some((x) => isPublicId(x.accountId)))
          return { changed: false, detail: 'already as recorded' };
        await modify(io, { AccountIdsToAdd: [PUBLIC] }, was.sharedDocumentVersion ?? undefined);
        return {
          changed: true,
          detail: `shared publicly again (${was.sharedDocumentVersion ?? 'default version'})`,
        };
      },
    },
  ],
});
