/**
 * Playbook `lambda-function-not-public`: a Lambda function's resource policy stops granting access to everyone (Config
 * `lambda-function-public-access-prohibited`, source LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED, on
 * `AWS::Lambda::Function`; Security Hub Lambda.1). Only the public statements go (`RemovePermission` by statement id):
 * an `Allow` to `"*"` or `{"AWS": "*"}` with no condition on the source account, source ARN or organization. Every
 * other statement stays. A function with no policy is compliant. Only the function's own (unqualified) policy is read;
 * aliases and versions have policies of their own.
 *
 * The state records the public statements as the policy holds them; rollback adds each back with `AddPermission`
 * rebuilt from it (statement id, action, principal `*` — so `{"AWS": "*"}` comes back as `"*"`, which means the same
 * — and the function URL auth type, event source token, source ARN, source account or organization where the
 * statement's condition holds one). A public statement whose condition
 * `AddPermission` cannot express is escalated, not removed, since it could not be put back. A public function URL
 * (`lambda:InvokeFunctionUrl` to everyone: a webhook, a public site) needs approval: its callers are cut off.
 */
import {
  AddPermissionCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  LambdaClient,
  RemovePermissionCommand,
} from '@aws-sdk/client-lambda';
import type { AddPermissionCommandInput, FunctionUrlAuthType } from '@aws-sdk/client-lambda';
import { z } from 'zod';
import { isNotFound } from '../activities/aws-errors';
import { definePlaybook } from '../kit/playbook-kit';
import type { KitIo } from '../kit/playbook-kit';

const values = z.union([z.string(), z.array(z.string())]);
const statementSchema = z.object({
  Sid: z.string(),
  Effect: z.string(),
  Principal: z.union([z.string(), z.record(z.string(), values)]),
  Action: values,
  Resource: values.optional(),
  Condition: z.record(z.string(), z.record(z.string(), values)).optional(),
});
type Statement = z.infer<typeof statementSchema>;
const policySchema = z.object({ Statement: z.array(statementSchema) });

/** Condition keys that limit who can use a grant to `*` (compared in lower case). */
const RESTRICTING = new Set([
  'aws:sourceaccount',
  'aws:sourcearn',
  'aws:sourceowner',
  'aws:principalorgid',
  'aws:sourceorgid',
  'aws:principalaccount',
]);

type Rebuilt = AddPermissionCommandInput;
/** Condition `operator/key` pairs `AddPermission` writes, each with the parameter it comes from. */
const REBUILDABLE: Readonly<Record<string, (value: string) => Partial<Rebuilt>>> = {
  'ArnLike/aws:sourcearn': (SourceArn) => ({ SourceArn }),
  'StringEquals/aws:sourceaccount': (SourceAccount) => ({ SourceAccount }),
  'StringEquals/aws:principalorgid': (PrincipalOrgID) => ({ PrincipalOrgID }),
  'StringEquals/lambda:functionurlauthtype': (v) => ({ FunctionUrlAuthType: v as FunctionUrlAuthType }),
  'StringEquals/lambda:eventsourcetoken': (EventSourceToken) => ({ EventSourceToken }),
};

const list = (v: string | string[] | undefined) => (v === undefined ? [] : typeof v === 'string' ? [v] : v);
const conditions = (s: Statement) =>
  Object.entries(s.Condition ?? {}).flatMap(([operator, entries]) =>
    Object.entries(entries).map(([key, value]) => ({ operator, key: key.toLowerCase(), value })),
  );

function isPublic(s: Statement): boolean {
  const everyone =
    s.Principal === '*' || (typeof s.Principal === 'object' && list(s.Principal.AWS).includes('*'));
  return s.Effect === 'Allow' && everyone && !conditions(s).some((c) => RESTRICTING.has(c.key));
}

/** The `AddPermission` input that puts `s` back, or why none can. */
function rebuild(functionName: string, s: Statement): Rebuilt | string {
  if (typeof s.Action !== 'string') return `statement ${s.Sid} grants several actions`;
  let input: Rebuilt = { FunctionName: functionName, StatementId: s.Sid, Action: s.Action, Principal: '*' };
  for (const c of conditions(s)) {
    const param = REBUILDABLE[`${c.operator}/${c.key}`];
    if (!param || typeof c.value !== 'string')
      return `statement ${s.Sid} has a condition ${c.operator} ${c.key}`;
    input = { ...input, ...param(c.value) };
  }
  return input;
}

const opts = (io: KitIo) => ({ abortSignal: io.abortSignal });

export const lambdaFunctionNotPublic = definePlaybook({
  id: 'lambda-function-not-public',
  title: "Remove the public statements of a Lambda function's resource policy",
  kind: 'configuration',
  defaultMode: 'auto',
  roleFamily: 'configuration',
  resource: {
    type: 'AWS::Lambda::Function',
    // A function name: 1–64 letters, digits, `-` and `_`.
    idPattern: /^[A-Za-z0-9_-]{1,64}$/,
    securityHubType: 'AwsLambdaFunction',
  },
  defaultSeverity: 9,
  triggers: {
    configRules: {
      'lambda-function-public-access-prohibited': { identifier: 'LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED' },
    },
    securityHubControls: ['Lambda.1'],
  },
  iamActions: [
    'lambda:GetFunctionConfiguration',
    'lambda:GetPolicy',
    'lambda:RemovePermission',
    'lambda:AddPermission',
  ],
  state: z.object({
    /** The public statements, as the policy holds them. */
    publicStatements: z.array(statementSchema),
    /** The ids of the other statements (kept), sorted. */
    keptStatementIds: z.array(z.string()),
  }),

  async read(io) {
    const lambda = io.client(LambdaClient);
    const FunctionName = io.resource.resourceId;
    try {
      // GetPolicy says ResourceNotFoundException both for a missing function and for one without a policy.
      await lambda.send(new GetFunctionConfigurationCommand({ FunctionName }), opts(io));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    let text: string | undefined;
    try {
      text = (await lambda.send(new GetPolicyCommand({ FunctionName }), opts(io))).Policy;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const statements = text === undefined ? [] : policySchema.parse(JSON.parse(text)).Statement;
    return {
      publicStatements: statements.filter(isPublic),
      keptStatementIds: statements
        .filter((s) => !isPublic(s))
        .map((s) => s.Sid)
        .sort(),
    };
  },
  describe: (s) =>
    s.publicStatements.length > 0
      ? `public statements ${s.publicStatements.map((p) => p.Sid).join(', ')}; ${s.keptStatementIds.length} other(s)`
      : `no public statement; ${s.keptStatementIds.length} other(s)`,
  cannotFix(s, { resource }) {
    const problems = s.publicStatements
      .map((p) => rebuild(resource.resourceId, p))
      .filter((r): r is string => typeof r === 'string');
    return problems.length > 0
      ? `${problems.join('; ')}: AddPermission could not put it back, so it is left for a person to remove`
      : undefined;
  },
  needsApproval(s) {
    const urls = s.publicStatements.filter((p) => list(p.Action).includes('lambda:InvokeFunctionUrl'));
    return urls.length > 0
      ? `statement(s) ${urls.map((p) => p.Sid).join(', ')} make a public function URL: its callers lose access`
      : undefined;
  },

  steps: [
    {
      id: 'remove-public-statements',
      title: 'RemovePermission for each public statement',
      onFailure: 'compensate',
      plan: (s, { resource }) =>
        s.publicStatements.length > 0
          ? `RemovePermission ${s.publicStatements.map((p) => p.Sid).join(', ')} from ${resource.resourceId}`
          : undefined,
      async apply(io, current) {
        const lambda = io.client(LambdaClient);
        for (const p of current.publicStatements) {
          try {
            await lambda.send(
              new RemovePermissionCommand({ FunctionName: io.resource.resourceId, StatementId: p.Sid }),
              opts(io),
            );
          } catch (err) {
            // Removed meanwhile (by someone else, or an attempt that timed out): what this step wanted.
            if (!isNotFound(err)) throw err;
          }
        }
        return { changed: true, detail: `removed ${current.publicStatements.map((p) => p.Sid).join(', ')}` };
      },
      async undo(io, prior, current) {
        const present = new Set(current.publicStatements.map((p) => p.Sid));
        const missing = prior.publicStatements.filter((p) => !present.has(p.Sid));
        if (missing.length === 0) return { changed: false, detail: 'already as recorded' };
        const lambda = io.client(LambdaClient);
        for (const p of missing) {
          const input = rebuild(io.resource.resourceId, p);
          if (typeof input === 'string') throw new Error(`cannot put back ${p.Sid}: ${input}`);
          await lambda.send(new AddPermissionCommand(input), opts(io));
        }
        return { changed: true, detail: `added back ${missing.map((p) => p.Sid).join(', ')}` };
      },
    },
  ],
});
