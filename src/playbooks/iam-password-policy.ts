/**
 * Playbook `iam-password-policy`: the account's IAM password policy at least as strong as the policy's values
 * (Config `iam-password-policy`, source IAM_PASSWORD_POLICY, periodic, on `AWS::::Account`; Security Hub IAM.7).
 * Defaults are the strictest the related controls ask for (IAM.7 and IAM.11–17: all four character classes, 14
 * characters, 24 remembered, 90 days), so one fix passes them all. A setting already stricter is kept, never loosened.
 * `UpdateAccountPasswordPolicy` resets whatever it is not sent, so every setting is always sent; rollback sends the
 * recorded policy back exactly, or deletes the policy when there was none.
 *
 * Options (policy `playbooks.iam-password-policy.options`): `minimumPasswordLength`, `passwordReusePrevention`,
 * `maxPasswordAge` (numbers), `requireSymbols`, `requireNumbers`, `requireUppercaseCharacters`,
 * `requireLowercaseCharacters` (booleans).
 */
import {
  DeleteAccountPasswordPolicyCommand,
  GetAccountPasswordPolicyCommand,
  IAMClient,
  UpdateAccountPasswordPolicyCommand,
} from '@aws-sdk/client-iam';
import { z } from 'zod';
import { isNotFound } from '../activities/aws-errors';
import { definePlaybook } from '../kit/playbook-kit';
import type { KitIo } from '../kit/playbook-kit';
import { ACCOUNT_RESOURCE } from './shared/account-resource';

const passwordPolicy = z.object({
  minimumPasswordLength: z.number().int(),
  requireSymbols: z.boolean(),
  requireNumbers: z.boolean(),
  requireUppercaseCharacters: z.boolean(),
  requireLowercaseCharacters: z.boolean(),
  allowUsersToChangePassword: z.boolean(),
  /** 0: passwords never expire. */
  maxPasswordAge: z.number().int(),
  /** 0: no reuse prevention. */
  passwordReusePrevention: z.number().int(),
  hardExpiry: z.boolean(),
});

/** One password policy, every setting explicit. */
export type PasswordPolicy = z.infer<typeof passwordPolicy>;

const CLASSES = [
  'requireSymbols',
  'requireNumbers',
  'requireUppercaseCharacters',
  'requireLowercaseCharacters',
] as const;

/** The target: the policy's options over the strictest values IAM.7 and IAM.11–17 ask for. */
function target(io: KitIo) {
  const o = io.options;
  const num = (key: string, fallback: number) => (typeof o[key] === 'number' ? o[key] : fallback);
  const flag = (key: string) => (typeof o[key] === 'boolean' ? o[key] : true);
  return {
    minimumPasswordLength: num('minimumPasswordLength', 14),
    passwordReusePrevention: num('passwordReusePrevention', 24),
    maxPasswordAge: num('maxPasswordAge', 90),
    ...Object.fromEntries(CLASSES.map((c) => [c, flag(c)])),
  } as Pick<PasswordPolicy, 'minimumPasswordLength' | 'passwordReusePrevention' | 'maxPasswordAge'> &
    Record<(typeof CLASSES)[number], boolean>;
}

/** `current` made at least as strict as `want`, keeping anything already stricter (and the other settings). */
export function strengthened(
  current: PasswordPolicy | null,
  want: ReturnType<typeof target>,
): PasswordPolicy {
  const base: PasswordPolicy = current ?? {
    minimumPasswordLength: 8,
    requireSymbols: false,
    requireNumbers: false,
    requireUppercaseCharacters: false,
    requireLowercaseCharacters: false,
    allowUsersToChangePassword: true,
    maxPasswordAge: 0,
    passwordReusePrevention: 0,
    hardExpiry: false,
  };
  const expiry = (days: number) => (days === 0 ? Infinity : days);
  return {
    ...base,
    minimumPasswordLength: Math.max(base.minimumPasswordLength, want.minimumPasswordLength),
    passwordReusePrevention: Math.max(base.passwordReusePrevention, want.passwordReusePrevention),
    maxPasswordAge:
      want.maxPasswordAge === 0
        ? base.maxPasswordAge
        : Math.min(expiry(base.maxPasswordAge), want.maxPasswordAge),
    ...Object.fromEntries(CLASSES.map((c) => [c, base[c] || want[c]])),
  };
}

/** What differs between two policies, in words. */
function differences(from: PasswordPolicy | null, to: PasswordPolicy): string[] {
  if (!from) return ['none set'];
  return (Object.keys(to) as (keyof PasswordPolicy)[])
    .filter((k) => from[k] !== to[k])
    .map((k) => `${k} ${String(from[k])} → ${String(to[k])}`);
}

/** The SDK's input for a policy: every setting sent, since the call resets what it is not sent. */
function updateInput(p: PasswordPolicy) {
  return {
    MinimumPasswordLength: p.minimumPasswordLength,
    RequireSymbols: p.requireSymbols,
    RequireNumbers: p.requireNumbers,
    RequireUppercaseCharacters: p.requireUppercaseCharacters,
    RequireLowercaseCharacters: p.requireLowercaseCharacters,
    AllowUsersToChangePassword: p.allowUsersToChangePassword,
    ...(p.maxPasswordAge > 0 ? { MaxPasswordAge: p.maxPasswordAge } : {}),
    ...(p.passwordReusePrevention > 0 ? { PasswordReusePrevention: p.passwordReusePrevention } : {}),
    HardExpiry: p.hardExpiry,
  };
}

const same = (a: PasswordPolicy | null, b: PasswordPolicy | null) => JSON.stringify(a) === JSON.stringify(b);

export const iamPasswordPolicy = definePlaybook({
  id: 'iam-password-policy',
  title: "Make the account's IAM password policy at least as strong as the policy's values",
  kind: 'configuration',
  defaultMode: 'auto',
  // The one member role that may write IAM (docs/deployment.md, Roles per playbook family): keeping every IAM write
  // in the role with the protected-principal denies beats a second role that can change IAM.
  roleFamily: 'iam-containment',
  resource: ACCOUNT_RESOURCE,
  defaultSeverity: 5,
  triggers: {
    configRules: { 'iam-password-policy': { identifier: 'IAM_PASSWORD_POLICY', periodic: true } },
    securityHubControls: ['IAM.7'],
  },
  iamActions: [
    'iam:GetAccountPasswordPolicy',
    'iam:UpdateAccountPasswordPolicy',
    'iam:DeleteAccountPasswordPolicy',
  ],
  state: z.object({ passwordPolicy: passwordPolicy.nullable() }),

  async read({ client, abortSignal }) {
    try {
      const p = (await client(IAMClient).send(new GetAccountPasswordPolicyCommand({}), { abortSignal }))
        .PasswordPolicy;
      if (!p) return { passwordPolicy: null };
      return {
        passwordPolicy: {
          minimumPasswordLength: p.MinimumPasswordLength ?? 6,
          requireSymbols: p.RequireSymbols === true,
          requireNumbers: p.RequireNumbers === true,
          requireUppercaseCharacters: p.RequireUppercaseCharacters === true,
          requireLowercaseCharacters: p.RequireLowercaseCharacters === true,
          allowUsersToChangePassword: p.AllowUsersToChangePassword === true,
          maxPasswordAge: p.MaxPasswordAge ?? 0,
          passwordReusePrevention: p.PasswordReusePrevention ?? 0,
          hardExpiry: p.HardExpiry === true,
        },
      };
    } catch (err) {
      // NoSuchEntity: the account has no password policy (IAM's defaults apply).
      if (isNotFound(err)) return { passwordPolicy: null };
      throw err;
    }
  },
  describe: (s) =>
    s.passwordPolicy
      ? `password policy: ${s.passwordPolicy.minimumPasswordLength}+ characters, ${CLASSES.filter((c) => s.passwordPolicy?.[c]).length}/4 character classes, ${s.passwordPolicy.passwordReusePrevention} remembered, expiry ${s.passwordPolicy.maxPasswordAge || 'never'}`
      : 'no password policy',

  steps: [
    {
      id: 'update-password-policy',
      title: 'UpdateAccountPasswordPolicy (every setting, none loosened)',
      onFailure: 'compensate',
      plan(s, io) {
        const want = strengthened(s.passwordPolicy, target(io));
        return same(s.passwordPolicy, want)
          ? undefined
          : `UpdateAccountPasswordPolicy: ${differences(s.passwordPolicy, want).join(', ')}`;
      },
      async apply(io, current) {
        const want = strengthened(current.passwordPolicy, target(io));
        await io.client(IAMClient).send(new UpdateAccountPasswordPolicyCommand(updateInput(want)), {
          abortSignal: io.abortSignal,
        });
        return { changed: true, detail: differences(current.passwordPolicy, want).join(', ') };
      },
      async undo({ client, abortSignal }, prior, current) {
        if (same(prior.passwordPolicy, current.passwordPolicy))
          return { changed: false, detail: 'already as recorded' };
        const iam = client(IAMClient);
        if (!prior.passwordPolicy) {
          await iam.send(new DeleteAccountPasswordPolicyCommand({}), { abortSignal });
          return { changed: true, detail: 'DeleteAccountPasswordPolicy (there was none)' };
        }
        await iam.send(new UpdateAccountPasswordPolicyCommand(updateInput(prior.passwordPolicy)), {
          abortSignal,
        });
        return { changed: true, detail: 'UpdateAccountPasswordPolicy with the recorded policy' };
      },
    },
  ],
});
