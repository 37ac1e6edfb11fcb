/**
 * The CDK app: `npx cdk synth --app 'npx tsx infra/bin/app.ts'`. The central stack takes the remediation policy from
 * `REMEDIATION_POLICY` (or the built-in seed policy) so the rules let through exactly what has a playbook.
 */
import { App } from 'aws-cdk-lib';
import { loadPolicy } from '../../src/policy/load-policy';
import { CentralStack } from '../lib/central-stack';

const app = new App();
new CentralStack(app, 'RemediatorCentral', {
  policy: loadPolicy(process.env.REMEDIATION_POLICY),
  managedAlarmNames: ['ec2-recovery-alarm', 'high-cpu-alarm'],
});
app.synth();
