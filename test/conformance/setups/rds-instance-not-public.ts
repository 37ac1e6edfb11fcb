/**
 * Conformance setup of `rds-instance-not-public`: a DB instance, publicly accessible or not, named by its identifier
 * (as Security Hub does). moto 5.2.1 gives every DB instance the same `DbiResourceId`, so a finding naming one by its
 * resource id (as Config does) cannot tell them apart there; only the gone case reads by resource id (the
 * `dbi-resource-id` filter matching nothing).
 */
import { CreateDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { rdsInstanceNotPublic } from '../../../src/playbooks/rds-instance-not-public';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import { resourceFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

const finding = (env: ConformanceEnv, id: string) =>
  resourceFinding(env, 'rds-instance-public-access-check', 'AWS::RDS::DBInstance', id);

async function instance(env: ConformanceEnv, publiclyAccessible: boolean) {
  const rds = new RDSClient({ endpoint: env.endpoint, region: env.region, credentials: TEST_CREDENTIALS });
  const identifier = `${env.unique}-db`;
  try {
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: identifier,
        DBInstanceClass: 'db.t3.micro',
        Engine: 'postgres',
        MasterUsername: 'postgres',
        MasterUserPassword: 'conformance-password',
        AllocatedStorage: 20,
        PubliclyAccessible: publiclyAccessible,
      }),
    );
    return finding(env, identifier);
  } finally {
    rds.destroy();
  }
}

export const setup: ConformanceSetup = {
  playbook: rdsInstanceNotPublic,
  events: ['config-rds-instance-public-noncompliant.json', 'securityhub-rds.2-failed.json'],
  nonCompliant: (env) => instance(env, true),
  compliant: (env) => instance(env, false),
  gone: (env) => finding(env, `db-${env.unique.toUpperCase().replace(/[^A-Z0-9]/g, '')}GONE0000000000`),
};
