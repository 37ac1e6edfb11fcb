/**
 * The CLI's half of signed operator decisions (docs/architecture.md, Trust model): every decision is bound to a
 * presigned `sts:GetCallerIdentity` request made with the operator's own AWS credentials (the SDK's default chain),
 * for the same STS endpoint the worker verifies against. `--unsigned` sends the decision without one, which a policy
 * that refuses unsigned decisions (the default outside the local stack) will refuse.
 */
import { signDecision, defaultCredentials } from '../auth/sign-decision';
import { loadAwsSettings, stsVerifyEndpoint } from '../config';
import type { Env } from '../config';
import type { DecisionClaim, SignedIdentity } from '../domain/decision';
import { DecisionRefusedError } from './decide-errors';

/** Signs `claim` with the operator's AWS identity, or returns `undefined` when asked not to sign. */
export async function signatureFor(
  claim: DecisionClaim,
  unsigned: boolean,
  env: Env = process.env,
): Promise<SignedIdentity | undefined> {
  if (unsigned) return undefined;
  const { region } = loadAwsSettings(env);
  try {
    const credentials = await defaultCredentials(region);
    return await signDecision(claim, { region, credentials, endpoint: stsVerifyEndpoint(env, region) });
  } catch (err) {
    throw new DecisionRefusedError(
      `could not sign the decision with your AWS credentials (${(err as Error).message}); sign in to AWS ` +
        '(aws sso login, or set a profile), or use --unsigned where the policy accepts unsigned decisions',
      { cause: err },
    );
  }
}
