/**
 * Config rule resolution against moto's AWS Config: managed SourceIdentifier, parameters, caching and fallback.
 */
import { ConfigServiceClient, PutConfigRuleCommand } from '@aws-sdk/client-config-service';
import type { AwsClients } from '../../src/aws/clients';
import type { MotoServer } from '../../src/devstack/moto-server';
import { ConfigRuleResolver, configFindingEnricher } from '../../src/ingest/config-rule-resolver';
import { routeFinding } from '../../src/ingest/router';
import { silentLogger } from '../../src/logger';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { FIXTURE_ACCOUNT, FIXTURE_REGION, motoClients, TEST_CREDENTIALS } from '../helpers/aws';
import { configFinding } from '../helpers/fixtures';
import { startSuiteMoto } from '../helpers/servers';

let moto: MotoServer;
let clients: AwsClients;
let config: ConfigServiceClient;
let describeCalls = 0;

beforeAll(async () => {
  moto = await startSuiteMoto();
  clients = motoClients(moto.endpoint);
  clients.config(FIXTURE_ACCOUNT, FIXTURE_REGION).middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'DescribeConfigRulesCommand') describeCalls += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countDescribe' },
  );
  config = new ConfigServiceClient({
    endpoint: moto.endpoint,
    region: FIXTURE_REGION,
    credentials: TEST_CREDENTIALS,
  });
  await config.send(
    new PutConfigRuleCommand({
      ConfigRule: {
        ConfigRuleName: 'securityhub-imds-9a8b7c',
        Source: { Owner: 'AWS', SourceIdentifier: 'EC2_IMDSV2_CHECK' },
      },
    }),
  );
  await config.send(
    new PutConfigRuleCommand({
      ConfigRule: {
        ConfigRuleName: 'pack-ports',
        Source: { Owner: 'AWS', SourceIdentifier: 'RESTRICTED_INCOMING_TRAFFIC' },
        InputParameters: JSON.stringify({ blockedPort1: '3389', blockedPort2: 5432 }),
      },
    }),
  );
});
afterAll(async () => {
  clients?.destroy();
  config?.destroy();
  await moto?.stop();
});

const instance = {
  account: FIXTURE_ACCOUNT,
  region: FIXTURE_REGION,
  resourceType: 'AWS::EC2::Instance',
  resourceId: 'i-1',
};

it('routes a renamed managed rule by its SourceIdentifier and caches the lookup', async () => {
  const resolver = new ConfigRuleResolver(clients, silentLogger);
  const enrich = configFindingEnricher(resolver);
  const before = describeCalls;

  const first = await enrich(configFinding('securityhub-imds-9a8b7c', instance));
  await enrich(configFinding('securityhub-imds-9a8b7c', instance, { eventId: 'again' }));

  expect(first.details).toMatchObject({
    managedControl: 'ec2-imdsv2-check',
    sourceIdentifier: 'EC2_IMDSV2_CHECK',
  });
  expect(routeFinding(first, DEFAULT_POLICY)).toEqual({ action: 'start', playbook: 'ec2-enforce-imdsv2' });
  expect(describeCalls - before).toBe(1);
});

it('carries the rule parameters into the finding', async () => {
  const enrich = configFindingEnricher(new ConfigRuleResolver(clients, silentLogger));
  const sg = { ...instance, resourceType: 'AWS::EC2::SecurityGroup', resourceId: 'sg-1' };
  const finding = await enrich(configFinding('pack-ports', sg));
  expect(finding.details).toMatchObject({
    managedControl: 'restricted-common-ports',
    'param.blockedPort1': '3389',
    'param.blockedPort2': '5432',
  });
});

it('falls back to the rule name when the rule cannot be described', async () => {
  const enrich = configFindingEnricher(new ConfigRuleResolver(clients, silentLogger));
  const finding = await enrich(configFinding('ec2-imdsv2-check', instance));
  expect(finding.details.managedControl).toBeUndefined();
  expect(routeFinding(finding, DEFAULT_POLICY)).toEqual({ action: 'start', playbook: 'ec2-enforce-imdsv2' });
});

it('keeps at most maxEntries lookups, dropping the oldest (made-up rule names cannot grow it without end)', async () => {
  const resolver = new ConfigRuleResolver(clients, silentLogger, 60_000, Date.now, 2);
  const before = describeCalls;
  for (const name of ['made-up-1', 'made-up-2', 'made-up-3', 'made-up-3', 'made-up-2']) {
    await resolver.resolve(FIXTURE_ACCOUNT, FIXTURE_REGION, name);
  }
  expect(describeCalls - before).toBe(3);
  await resolver.resolve(FIXTURE_ACCOUNT, FIXTURE_REGION, 'made-up-1');
  expect(describeCalls - before).toBe(4);
});

it('looks again after the cache entry expires', async () => {
  let now = 0;
  const resolver = new ConfigRuleResolver(clients, silentLogger, 1000, () => now);
  const before = describeCalls;
  await resolver.resolve(FIXTURE_ACCOUNT, FIXTURE_REGION, 'pack-ports');
  now = 500;
  await resolver.resolve(FIXTURE_ACCOUNT, FIXTURE_REGION, 'pack-ports');
  now = 1500;
  await resolver.resolve(FIXTURE_ACCOUNT, FIXTURE_REGION, 'pack-ports');
  expect(describeCalls - before).toBe(2);
});
