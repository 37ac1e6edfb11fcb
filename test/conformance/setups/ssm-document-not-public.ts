/** Conformance setup of `ssm-document-not-public`: a Command document shared with everyone, or with one account. */
import { CreateDocumentCommand, ModifyDocumentPermissionCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ssmDocumentNotPublic } from '../../../src/playbooks/ssm-document-not-public';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import { resourceFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

const finding = (env: ConformanceEnv, name: string) =>
  resourceFinding(env, 'ssm-document-not-public', 'AWS::SSM::Document', name);

const CONTENT = JSON.stringify({
  schemaVersion: '2.2',
  description: 'Restart the web server',
  mainSteps: [
    { action: 'aws:runShellScript', name: 'restart', inputs: { runCommand: ['systemctl restart nginx'] } },
  ],
});

async function document(env: ConformanceEnv, isPublic: boolean) {
  const ssm = new SSMClient({ endpoint: env.endpoint, region: env.region, credentials: TEST_CREDENTIALS });
  const Name = `${env.unique}-doc`;
  try {
    await ssm.send(new CreateDocumentCommand({ Name, DocumentType: 'Command', Content: CONTENT }));
    await ssm.send(
      new ModifyDocumentPermissionCommand({
        Name,
        PermissionType: 'Share',
        AccountIdsToAdd: [isPublic ? 'all' : '111122223333'],
      }),
    );
    return finding(env, Name);
  } finally {
    ssm.destroy();
  }
}

export const setup: ConformanceSetup = {
  playbook: ssmDocumentNotPublic,
  events: ['config-ssm-document-public-noncompliant.json', 'securityhub-ssm.4-failed.json'],
  nonCompliant: (env) => document(env, true),
  compliant: (env) => document(env, false),
  gone: (env) => finding(env, `${env.unique}-gone`),
};
