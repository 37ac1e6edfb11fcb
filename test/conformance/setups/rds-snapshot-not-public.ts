/**
 * Conformance setup of `rds-snapshot-not-public`: a manual snapshot of a fresh DB instance, shared with one account
 * and, when non-compliant, with everyone (`all`); the fix must keep the account.
 */
import {
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  ModifyDBSnapshotAttributeCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { rdsSnapshotNotPublic } from '../../../src/playbooks/rds-snapshot-not-public';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import { resourceFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

const finding = (env: ConformanceEnv, snapshot: string) =>
  resourceFinding(env, 'rds-snapshots-public-prohibited', 'AWS::RDS::DBSnapshot', snapshot);

async function snapshot(env: ConformanceEnv, isPublic: boolean) {
  const rds = new RDSClient({ endpoint: env.endpoint, region: env.region, credentials: TEST_CREDENTIALS });
  const id = `${env.unique}-snapshot`;
  try {
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: `${env.unique}-db`,
        DBInstanceClass: 'db.t3.micro',
        Engine: 'postgres',
        MasterUsername: 'postgres',
        MasterUserPassword: 'conformance-password',
        AllocatedStorage: 20,
      }),
    );
    await rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: `${env.unique}-db`, DBSnapshotIdentifier: id }),
    );
    await rds.send(
      new ModifyDBSnapshotAttributeCommand({
        DBSnapshotIdentifier: id,
        AttributeName: 'restore',
        ValuesToAdd: isPublic ? ['111122223333', 'all'] : ['111122223333'],
      }),
    );
    return finding(env, id);
  } finally {
    rds.destroy();
  }
}

export const setup: ConformanceSetup = {
  playbook: rdsSnapshotNotPublic,
  events: ['config-rds-snapshot-public-noncompliant.json', 'securityhub-rds.1-failed.json'],
  nonCompliant: (env) => snapshot(env, true),
  compliant: (env) => snapshot(env, false),
  gone: (env) => finding(env, `${env.unique}-gone`),
};
