/**
 * Conformance setup of `lambda-function-not-public`: a function whose policy lets S3 invoke it from one bucket and
 * account, and anyone in one organization; the non-compliant one also lets everyone invoke it. The fix must remove
 * only that statement. The compliant one has no policy at all.
 */
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaFunctionNotPublic } from '../../../src/playbooks/lambda-function-not-public';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import { resourceFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

const finding = (env: ConformanceEnv, name: string) =>
  resourceFinding(env, 'lambda-function-public-access-prohibited', 'AWS::Lambda::Function', name);

/** An empty zip archive (its end-of-central-directory record): moto stores the code without running it. */
const EMPTY_ZIP = new Uint8Array([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]);

async function fn(env: ConformanceEnv, isPublic: boolean) {
  const common = { endpoint: env.endpoint, credentials: TEST_CREDENTIALS };
  const iam = new IAMClient({ ...common, region: 'us-east-1' });
  const lambda = new LambdaClient({ ...common, region: env.region });
  const FunctionName = `${env.unique}-fn`;
  try {
    const role = (
      await iam.send(
        new CreateRoleCommand({
          RoleName: `${env.unique}-fn-role`,
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
            ],
          }),
        }),
      )
    ).Role!.Arn!;
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName,
        Runtime: 'python3.12',
        Role: role,
        Handler: 'index.handler',
        Code: { ZipFile: EMPTY_ZIP },
      }),
    );
    if (isPublic) {
      const add = (input: Omit<ConstructorParameters<typeof AddPermissionCommand>[0], 'FunctionName'>) =>
        lambda.send(new AddPermissionCommand({ FunctionName, ...input }));
      await add({
        StatementId: 's3-notifications',
        Action: 'lambda:InvokeFunction',
        Principal: 's3.amazonaws.com',
        SourceArn: `arn:aws:s3:::${env.unique}-uploads`,
        SourceAccount: env.account,
      });
      await add({ StatementId: 'anyone', Action: 'lambda:InvokeFunction', Principal: '*' });
      await add({
        StatementId: 'our-organization',
        Action: 'lambda:InvokeFunction',
        Principal: '*',
        PrincipalOrgID: 'o-a1b2c3d4e5',
      });
    }
    return finding(env, FunctionName);
  } finally {
    iam.destroy();
    lambda.destroy();
  }
}

export const setup: ConformanceSetup = {
  playbook: lambdaFunctionNotPublic,
  events: ['config-lambda-public-noncompliant.json', 'securityhub-lambda.1-failed.json'],
  nonCompliant: (env) => fn(env, true),
  compliant: (env) => fn(env, false),
  gone: (env) => finding(env, `${env.unique}-gone`),
};
