/**
 * The isolation step that sets an instance's shutdown behaviour to `stop` (so a compromised instance that shuts itself
 * down keeps its disks for forensics). moto accepts ModifyInstanceAttribute with InstanceInitiatedShutdownBehavior but
 * ignores it, so this step is tested against a minimal local stand-in of EC2's Query protocol that keeps the attribute
 * and records every call. It also answers the reads the playbook makes before each step and undo (a running instance
 * with no network interface and no volume, termination protection off, in no Auto Scaling group, behind no load
 * balancer), which share its endpoint.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createPlaybooks } from '../../src/activities';
import type { IsolationPrior } from '../../src/playbooks/ec2-isolate-instance';
import { createRemediationActivities } from '../../src/activities/remediation-activities';
import { AwsClients } from '../../src/aws/clients';
import { runActivity } from '../helpers/activity-env';
import { TEST_CREDENTIALS } from '../helpers/aws';
import { guardDutyFinding } from '../helpers/fixtures';

const INSTANCE = 'i-0123456789abcdef0';
let server: Server;
let clients: AwsClients;
let behaviour = 'terminate';
const calls: Array<Record<string, string>> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(body));
      calls.push(params);
      const xml = (action: string, inner: string) =>
        res
          .writeHead(200, { 'content-type': 'text/xml' })
          .end(
            `<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-1</requestId>${inner}</${action}Response>`,
          );
      /** A Query-protocol answer of Auto Scaling or Elastic Load Balancing (a `…Result` inside the response). */
      const query = (action: string, namespace: string, inner: string) =>
        res
          .writeHead(200, { 'content-type': 'text/xml' })
          .end(
            `<${action}Response xmlns="${namespace}"><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></${action}Response>`,
          );
      if (params.Action === 'DescribeInstances' && params['InstanceId.1'] === INSTANCE) {
        xml(
          'DescribeInstances',
          `<reservationSet><item><reservationId>r-0123456789abcdef0</reservationId><instancesSet><item><instanceId>${INSTANCE}</instanceId><instanceState><code>16</code><name>running</name></instanceState></item></instancesSet></item></reservationSet>`,
        );
      } else if (params.Action === 'DescribeAutoScalingInstances') {
        query(
          'DescribeAutoScalingInstances',
          'http://autoscaling.amazonaws.com/doc/2011-01-01/',
          '<AutoScalingInstances/>',
        );
      } else if (params.Action === 'DescribeLoadBalancers') {
        query(
          'DescribeLoadBalancers',
          'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/',
          '<LoadBalancers/>',
        );
      } else if (params.InstanceId !== INSTANCE) {
        res
          .writeHead(400, { 'content-type': 'text/xml' })
          .end(
            '<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>no such instance</Message></Error></Errors><RequestID>r-2</RequestID></Response>',
          );
      } else if (
        params.Action === 'DescribeInstanceAttribute' &&
        params.Attribute === 'instanceInitiatedShutdownBehavior'
      ) {
        xml(
          'DescribeInstanceAttribute',
          `<instanceId>${INSTANCE}</instanceId><instanceInitiatedShutdownBehavior><value>${behaviour}</value></instanceInitiatedShutdownBehavior>`,
        );
      } else if (
        params.Action === 'DescribeInstanceAttribute' &&
        params.Attribute === 'disableApiTermination'
      ) {
        xml(
          'DescribeInstanceAttribute',
          `<instanceId>${INSTANCE}</instanceId><disableApiTermination><value>false</value></disableApiTermination>`,
        );
      } else if (
        params.Action === 'ModifyInstanceAttribute' &&
        params['InstanceInitiatedShutdownBehavior.Value']
      ) {
        behaviour = params['InstanceInitiatedShutdownBehavior.Value'];
        xml('ModifyInstanceAttribute', '<return>true</return>');
      } else {
        res
          .writeHead(400, { 'content-type': 'text/xml' })
          .end(
            '<Response><Errors><Error><Code>Unsupported</Code><Message>stand-in</Message></Error></Errors></Response>',
          );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  clients = new AwsClients({
    endpoint: `http://127.0.0.1:${port}`,
    credentials: TEST_CREDENTIALS,
    maxAttempts: 1,
  });
});
afterAll(async () => {
  clients?.destroy();
  await new Promise((resolve) => server.close(resolve));
});

it('sets the shutdown behaviour to stop once, then restores the recorded one (local EC2 stand-in: moto ignores the attribute)', async () => {
  // Prepare
  const activities = createRemediationActivities(createPlaybooks(clients));
  const request = {
    finding: guardDutyFinding('AWS::EC2::Instance', INSTANCE),
    playbook: 'ec2-isolate-instance',
    step: 'set-shutdown-behaviour-stop',
  };
  const prior: IsolationPrior = {
    disableApiTermination: false,
    shutdownBehavior: 'terminate',
    enis: [],
    volumes: [],
    autoScalingGroup: null,
    targetGroups: [],
  };

  // Act
  const applied = await runActivity(activities.applyStep, { ...request, prior });
  const again = await runActivity(activities.applyStep, { ...request, prior });
  const afterApply = behaviour;
  const restored = await runActivity(activities.compensateStep, { ...request, prior });

  // Assess
  expect(applied).toMatchObject({
    changed: true,
    detail: 'InstanceInitiatedShutdownBehavior terminate → stop',
  });
  // Found done by the read before the step: nothing sent.
  expect(again).toMatchObject({ changed: false, detail: expect.stringMatching(/^already done: /) });
  expect(afterApply).toBe('stop');
  expect(restored).toMatchObject({ changed: true, detail: 'InstanceInitiatedShutdownBehavior=terminate' });
  expect(behaviour).toBe('terminate');
  expect(
    calls
      .filter((c) => c.Action === 'ModifyInstanceAttribute')
      .map((c) => c['InstanceInitiatedShutdownBehavior.Value']),
  ).toEqual(['stop', 'terminate']);
});
