/**
 * Findings confirmed at the source (docs/architecture.md, Trust model): one read of the detector per finding, under
 * the worker's own credentials. Security Hub and CloudWatch alarms are read from moto; moto lacks GuardDuty's
 * GetFindings and AWS Config's GetComplianceDetailsByResource, so those are read from a minimal local stand-in that
 * speaks their wire protocols and counts the requests.
 */
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { ApplicationFailure } from '@temporalio/activity';
import { createFindingConfirmation } from '../../src/activities/confirm-finding';
import type { Confirmation } from '../../src/activities/confirm-finding';
import { AwsClients } from '../../src/aws/clients';
import type { MotoServer } from '../../src/devstack/moto-server';
import type { Finding } from '../../src/domain/finding';
import { parseMessageBody } from '../../src/ingest/envelope';
import { singleFinding } from '../../src/ingest/normalise';
import { FIXTURE_ACCOUNT, FIXTURE_REGION, motoClients, TEST_CREDENTIALS } from '../helpers/aws';
import { startDetectorStandIn } from '../helpers/detector-stand-in';
import type { DetectorStandIn, GuardDutyWireFinding } from '../helpers/detector-stand-in';
import { fixtureEvent, fixtureText } from '../helpers/fixtures';
import { startSuiteMoto } from '../helpers/servers';

let moto: MotoServer;
let standIn: DetectorStandIn;
let onMoto: AwsClients;
let onStandIn: AwsClients;
let securityHub: SecurityHubClient;
let cloudwatch: CloudWatchClient;
/** AWS calls the product's moto clients sent (counted by a middleware on the cached clients). */
let motoCalls = 0;

beforeAll(async () => {
  moto = await startSuiteMoto();
  standIn = await startDetectorStandIn();
  onMoto = motoClients(moto.endpoint);
  onStandIn = new AwsClients({ endpoint: standIn.endpoint, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  const common = { endpoint: moto.endpoint, region: FIXTURE_REGION, credentials: TEST_CREDENTIALS };
  securityHub = new SecurityHubClient(common);
  cloudwatch = new CloudWatchClient(common);
  const count = { step: 'initialize', name: 'testCountCalls' } as const;
  onMoto.securityhub(FIXTURE_ACCOUNT, FIXTURE_REGION).middlewareStack.add(
    (next) => (args) => {
      motoCalls += 1;
      return next(args);
    },
    count,
  );
  onMoto.cloudwatch(FIXTURE_ACCOUNT, FIXTURE_REGION).middlewareStack.add(
    (next) => (args) => {
      motoCalls += 1;
      return next(args);
    },
    count,
  );
});
afterAll(async () => {
  onMoto?.destroy();
  onStandIn?.destroy();
  securityHub?.destroy();
  cloudwatch?.destroy();
  await standIn?.close();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  standIn.reset();
  motoCalls = 0;
});

const findingOf = (event: unknown): Finding => singleFinding(parseMessageBody(JSON.stringify(event)));
const fixtureFinding = (name: string): Finding => singleFinding(parseMessageBody(fixtureText(name)));
const confirmOnStandIn = (f: Finding) => createFindingConfirmation(onStandIn)(f);
const confirmOnMoto = (f: Finding) => createFindingConfirmation(onMoto)(f);
const notConfirmed = (reason: RegExp) => ({
  confirmed: false,
  reason: expect.stringMatching(reason) as string,
});

describe('GuardDuty, against a local GuardDuty stand-in (moto lacks GetFindings)', () => {
  const EC2 = 'guardduty-ec2-unauthorized-access.json';
  const KEY = 'guardduty-iam-user-access-key.json';
  const DETECTOR = '5ec4b8f1a2d3e4f5a6b7c8d9e0f1a2b3';
  /** The fixture's detail is GuardDuty's finding in its wire shape; `patch` changes it as GuardDuty holds it. */
  const seed = (name: string, patch: (f: Record<string, unknown>) => Record<string, unknown> = (f) => f) => {
    const record = (JSON.parse(fixtureText(name)) as { detail: GuardDutyWireFinding }).detail;
    standIn.guardDutyFindings.set(DETECTOR, [patch(record) as GuardDutyWireFinding]);
  };
  const service = (f: Record<string, unknown>) => f.service as Record<string, unknown>;

  it('confirms a genuine EC2 finding with one GetFindings on the detector the event named', async () => {
    seed(EC2);
    const finding = fixtureFinding(EC2);
    expect(finding.details).toMatchObject({ guardDutyDetectorId: DETECTOR, guardDutyRegion: FIXTURE_REGION });
    expect(await confirmOnStandIn(finding)).toEqual({
      confirmed: true,
      detail: expect.stringContaining('UnauthorizedAccess:EC2/TorClient') as string,
    });
    expect(standIn.requests).toEqual([
      {
        path: `/detector/${DETECTOR}/findings/get`,
        region: FIXTURE_REGION,
        body: { findingIds: ['b2c4e6f8a0b1c3d5e7f9a1b3c5d7e9f1'] },
      },
    ]);
  });

  it("confirms a genuine access-key finding in GuardDuty's region, though the key's resource is global", async () => {
    seed(KEY);
    const finding = fixtureFinding(KEY);
    expect(finding.resource.region).toBe('global');
    expect((await confirmOnStandIn(finding)).confirmed).toBe(true);
    expect(standIn.requests.map((r) => r.region)).toEqual([FIXTURE_REGION]);
  });

  it('does not confirm a finding GuardDuty does not have', async () => {
    standIn.guardDutyFindings.set(DETECTOR, []);
    expect(await confirmOnStandIn(fixtureFinding(EC2))).toEqual(notConfirmed(/does not exist/));
    expect(standIn.requests).toHaveLength(1);
  });

  it('does not confirm an archived finding', async () => {
    seed(EC2, (f) => ({ ...f, service: { ...service(f), archived: true } }));
    expect(await confirmOnStandIn(fixtureFinding(EC2))).toEqual(notConfirmed(/is archived/));
  });

  it('does not confirm a finding of another type', async () => {
    seed(EC2, (f) => ({ ...f, type: 'Recon:EC2/PortProbeUnprotectedPort' }));
    expect(await confirmOnStandIn(fixtureFinding(EC2))).toEqual(
      notConfirmed(/has type Recon:EC2\/PortProbeUnprotectedPort, not UnauthorizedAccess:EC2\/TorClient/),
    );
  });

  it('does not confirm a severity higher than GuardDuty gave', async () => {
    seed(EC2, (f) => ({ ...f, severity: 5 }));
    expect(await confirmOnStandIn(fixtureFinding(EC2))).toEqual(
      notConfirmed(/severity 5, lower than the claimed 8/),
    );
  });

  it('does not confirm a finding about another instance', async () => {
    seed(EC2, (f) => ({
      ...f,
      resource: { resourceType: 'Instance', instanceDetails: { instanceId: 'i-0aaaaaaaaaaaaaaaa' } },
    }));
    expect(await confirmOnStandIn(fixtureFinding(EC2))).toEqual(
      notConfirmed(/about instance i-0aaaaaaaaaaaaaaaa, not i-0f9e8d7c6b5a43210/),
    );
  });

  it('does not confirm an ACTOR claim GuardDuty records as TARGET (isolation would follow)', async () => {
    seed(EC2, (f) => ({ ...f, service: { ...service(f), resourceRole: 'TARGET' } }));
    expect(await confirmOnStandIn(fixtureFinding(EC2))).toEqual(
      notConfirmed(/resource role TARGET, not ACTOR/),
    );
  });

  it("does not confirm an access-key finding naming another user than GuardDuty's", async () => {
    seed(KEY);
    const event = fixtureEvent(KEY) as {
      detail: { resource: { accessKeyDetails: Record<string, unknown> } };
    };
    const forged = findingOf(
      fixtureEvent(KEY, {
        resource: {
          resourceType: 'AccessKey',
          accessKeyDetails: { ...event.detail.resource.accessKeyDetails, userName: 'break-glass-admin' },
        },
      }),
    );
    expect(await confirmOnStandIn(forged)).toEqual(
      notConfirmed(/userName ci-deployer, not break-glass-admin/),
    );
  });

  it('does not confirm a finding that names no detector, and reads nothing', async () => {
    seed(EC2);
    const event = fixtureEvent(EC2) as { detail: { service: Record<string, unknown> } };
    const withoutDetector = { ...event.detail.service };
    delete withoutDetector.detectorId;
    const finding = findingOf(fixtureEvent(EC2, { service: withoutDetector }));
    expect(await confirmOnStandIn(finding)).toEqual(
      notConfirmed(/^the finding names no GuardDuty detector$/),
    );
    expect(standIn.requests).toEqual([]);
  });

  it("does not confirm when the detector is not the account's (GuardDuty's BadRequestException)", async () => {
    expect(await confirmOnStandIn(fixtureFinding(EC2))).toEqual(
      notConfirmed(/AWS answered BadRequestException$/),
    );
  });

  it('does not confirm when access is denied, and says only the error name', async () => {
    standIn.failNext = { status: 403, type: 'AccessDeniedException' };
    const result = await confirmOnStandIn(fixtureFinding(EC2));
    expect(result).toEqual({
      confirmed: false,
      reason: 'read the GuardDuty finding: AWS answered AccessDeniedException',
    });
  });

  it('throws a retryable failure on a transient error (the activity retries)', async () => {
    standIn.failNext = { status: 503, type: 'ServiceUnavailable' };
    const failure = await confirmOnStandIn(fixtureFinding(EC2)).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ nonRetryable: false, type: 'ServiceUnavailable' });
  });
});

describe('AWS Config, against a local AWS Config stand-in (moto lacks GetComplianceDetailsByResource)', () => {
  const EBS = 'config-ebs-encryption-by-default-noncompliant.json';
  const RULE = 'ec2-ebs-encryption-by-default';
  const account = { resourceType: 'AWS::::Account', resourceId: FIXTURE_ACCOUNT } as const;

  it('confirms the account-wide EBS rule NON_COMPLIANT now, with one read keeping the ids the finding has', async () => {
    standIn.evaluations.push({ ruleName: RULE, ...account, complianceType: 'NON_COMPLIANT' });
    expect(await confirmOnStandIn(fixtureFinding(EBS))).toEqual({
      confirmed: true,
      detail: expect.stringMatching(
        /^AWS Config rule ec2-ebs-encryption-by-default is NON_COMPLIANT for AWS::::Account 123456789012/,
      ) as string,
    });
    expect(standIn.requests).toEqual([
      {
        path: '/',
        target: 'StarlingDoveService.GetComplianceDetailsByResource',
        region: FIXTURE_REGION,
        body: {
          ResourceType: 'AWS::::Account',
          ResourceId: FIXTURE_ACCOUNT,
          ComplianceTypes: ['NON_COMPLIANT'],
        },
      },
    ]);
  });

  it('does not confirm a rule that is COMPLIANT now', async () => {
    standIn.evaluations.push({ ruleName: RULE, ...account, complianceType: 'COMPLIANT' });
    expect(await confirmOnStandIn(fixtureFinding(EBS))).toEqual(
      notConfirmed(/no NON_COMPLIANT result of rule ec2-ebs-encryption-by-default/),
    );
    expect(standIn.requests).toHaveLength(1);
  });

  it('does not confirm without an evaluation of the rule (another rule NON_COMPLIANT does not count)', async () => {
    expect((await confirmOnStandIn(fixtureFinding(EBS))).confirmed).toBe(false);
    standIn.evaluations.push({ ruleName: 'some-other-rule', ...account, complianceType: 'NON_COMPLIANT' });
    expect((await confirmOnStandIn(fixtureFinding(EBS))).confirmed).toBe(false);
  });

  it("reads the next page only when the rule is not on the first (a resource's results are paged)", async () => {
    standIn.configPageSize = 2;
    for (const rule of ['rule-a', 'rule-b', RULE])
      standIn.evaluations.push({ ruleName: rule, ...account, complianceType: 'NON_COMPLIANT' });
    expect((await confirmOnStandIn(fixtureFinding(EBS))).confirmed).toBe(true);
    expect(standIn.requests.map((r) => r.body.NextToken)).toEqual([undefined, '2']);
  });
});

describe('Security Hub, against moto', () => {
  const FIXTURE = 'securityhub-ec2.8-failed.json';
  const THIRD_PARTY = `arn:aws:securityhub:${FIXTURE_REGION}:${FIXTURE_ACCOUNT}:product/${FIXTURE_ACCOUNT}/default`;
  const record = (): AwsSecurityFinding =>
    (JSON.parse(fixtureText(FIXTURE)) as { detail: { findings: AwsSecurityFinding[] } }).detail.findings[0]!;
  const importFindings = async (...findings: AwsSecurityFinding[]) => {
    const out = await securityHub.send(new BatchImportFindingsCommand({ Findings: findings }));
    expect(out.FailedCount).toBe(0);
  };

  it('confirms a genuine control finding with one GetFindings', async () => {
    await importFindings(record());
    expect(await confirmOnMoto(fixtureFinding(FIXTURE))).toEqual({
      confirmed: true,
      detail: expect.stringContaining('ACTIVE and FAILED for EC2.8 on i-0a1b2c3d4e5f60718') as string,
    });
    expect(motoCalls).toBe(1);
  });

  it('does not confirm a finding of a third-party product (anyone with BatchImportFindings writes those)', async () => {
    const imported = {
      ...record(),
      ProductArn: THIRD_PARTY,
      ProductFields: { 'aws/securityhub/ProductName': 'Default' },
    };
    await importFindings(imported);
    const claimed = fixtureFinding(FIXTURE);
    // Claiming the product as it is: refused without a read.
    const asIs = { ...claimed, details: { ...claimed.details, productArn: THIRD_PARTY } };
    expect(await confirmOnMoto(asIs)).toEqual(notConfirmed(/is not Security Hub's own controls$/));
    expect(motoCalls).toBe(0);
    // Claiming Security Hub's product for the third-party record: there is no such Security Hub finding.
    expect(await confirmOnMoto(claimed)).toEqual(notConfirmed(/does not exist$/));
    expect(motoCalls).toBe(1);
  });

  it("does not confirm a record under Security Hub's product ARN that another product name produced", async () => {
    await importFindings({
      ...record(),
      ProductFields: { 'aws/securityhub/ProductName': 'Totally Security Hub' },
    });
    expect(await confirmOnMoto(fixtureFinding(FIXTURE))).toEqual(
      notConfirmed(/produced by Totally Security Hub, not Security Hub's controls/),
    );
  });

  it('does not confirm an ARCHIVED record', async () => {
    await importFindings({ ...record(), RecordState: 'ARCHIVED' });
    expect(await confirmOnMoto(fixtureFinding(FIXTURE))).toEqual(notConfirmed(/is ARCHIVED, not ACTIVE/));
  });

  it('does not confirm a record whose compliance is PASSED', async () => {
    await importFindings({ ...record(), Compliance: { ...record().Compliance, Status: 'PASSED' } });
    expect(await confirmOnMoto(fixtureFinding(FIXTURE))).toEqual(
      notConfirmed(/compliance PASSED, not FAILED/),
    );
  });

  it('does not confirm a finding Security Hub does not have', async () => {
    expect(await confirmOnMoto(fixtureFinding(FIXTURE))).toEqual(notConfirmed(/does not exist$/));
    expect(motoCalls).toBe(1);
  });

  it("does not confirm a finding whose resource is not among the record's", async () => {
    const other = `arn:aws:ec2:${FIXTURE_REGION}:${FIXTURE_ACCOUNT}:instance/i-0ffffffffffffffff`;
    await importFindings({
      ...record(),
      Resources: [{ Type: 'AwsEc2Instance', Id: other, Region: FIXTURE_REGION }],
    });
    expect(await confirmOnMoto(fixtureFinding(FIXTURE))).toEqual(
      notConfirmed(/does not name AWS::EC2::Instance i-0a1b2c3d4e5f60718 among its resources/),
    );
  });
});

describe('CloudWatch alarms, against moto', () => {
  const FIXTURE = 'cloudwatch-alarm-high-cpu.json';
  const putAlarm = async (state: 'ALARM' | 'OK', group = 'web-asg') => {
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'high-cpu-alarm',
        Namespace: 'AWS/EC2',
        MetricName: 'CPUUtilization',
        Dimensions: [{ Name: 'AutoScalingGroupName', Value: group }],
        Statistic: 'Average',
        Period: 300,
        EvaluationPeriods: 2,
        Threshold: 80,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    await cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: 'high-cpu-alarm', StateValue: state, StateReason: 'test' }),
    );
  };

  it('confirms an alarm in ALARM with one DescribeAlarms', async () => {
    await putAlarm('ALARM');
    expect(await confirmOnMoto(fixtureFinding(FIXTURE))).toEqual({
      confirmed: true,
      detail: `CloudWatch alarm high-cpu-alarm (${FIXTURE_ACCOUNT} ${FIXTURE_REGION}) is in ALARM`,
    });
    expect(motoCalls).toBe(1);
  });

  it('does not confirm an alarm that is OK', async () => {
    await putAlarm('OK');
    expect(await confirmOnMoto(fixtureFinding(FIXTURE))).toEqual(notConfirmed(/is OK, not ALARM$/));
    expect(motoCalls).toBe(1);
  });

  it('does not confirm an alarm that does not exist', async () => {
    expect(await confirmOnMoto(fixtureFinding(FIXTURE))).toEqual(notConfirmed(/does not exist$/));
  });

  it('does not confirm an alarm about another Auto Scaling group than the finding names', async () => {
    await putAlarm('ALARM', 'other-asg');
    expect(await confirmOnMoto(fixtureFinding(FIXTURE))).toEqual(
      notConfirmed(/does not watch AWS\/EC2\/CPUUtilization of AWS::AutoScaling::AutoScalingGroup web-asg$/),
    );
  });
});

it('reads nothing for a finding that is not FAILED (it changes nothing)', async () => {
  const passed = fixtureFinding('config-s3-bucket-public-read-compliant.json');
  expect(passed.state).toBe('PASSED');
  const result: Confirmation = await confirmOnStandIn(passed);
  expect(result.confirmed).toBe(true);
  expect(standIn.requests).toEqual([]);
});
