/**
 * Reporting a verified fix back to the detector. moto lacks StartConfigRulesEvaluation and Security Hub's
 * BatchUpdateFindings, so these calls are tested against a minimal local HTTP stand-in that speaks their wire
 * protocols and records what it received.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { createWriteBackActivities } from '../../src/activities/write-back';
import { AwsClients } from '../../src/aws/clients';
import { singleFinding } from '../../src/ingest/normalise';
import { parseMessageBody } from '../../src/ingest/envelope';
import { runActivity } from '../helpers/activity-env';
import { TEST_CREDENTIALS } from '../helpers/aws';
import { fixtureText } from '../helpers/fixtures';

interface Received {
  readonly path: string;
  readonly target?: string;
  readonly body: Record<string, unknown>;
}

let server: Server;
let endpoint: string;
const received: Received[] = [];
let unprocessed = false;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (chunk: Buffer) => (data += chunk.toString()));
    req.on('end', () => resolve(data));
  });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const target = req.headers['x-amz-target'] as string | undefined;
      received.push({
        path: req.url ?? '',
        ...(target ? { target } : {}),
        body: JSON.parse(text || '{}') as Record<string, unknown>,
      });
      if (target === 'StarlingDoveService.StartConfigRulesEvaluation') {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end('{}');
      } else if (req.url === '/findings/batchupdate') {
        const body = unprocessed
          ? {
              ProcessedFindings: [],
              UnprocessedFindings: [
                { FindingIdentifier: {}, ErrorCode: 'FindingNotFound', ErrorMessage: 'gone' },
              ],
            }
          : { ProcessedFindings: [{}], UnprocessedFindings: [] };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received.length = 0;
  unprocessed = false;
});

const activities = () =>
  createWriteBackActivities({
    clients: new AwsClients({ endpoint: endpoint, credentials: TEST_CREDENTIALS, maxAttempts: 1 }),
    ui: { temporalUiUrl: 'http://ui.example', namespace: 'default' },
  });
const ids = { workflowId: 'remediation/123456789012/ap-northeast-1/AWS::EC2::Instance/i-1', runId: 'run-1' };

it('asks AWS Config to re-evaluate the rule (local stand-in: moto lacks StartConfigRulesEvaluation)', async () => {
  const finding = singleFinding(parseMessageBody(fixtureText('config-ec2-imdsv2-noncompliant.json')));
  const done = await runActivity(activities().reportToSource, { finding, ...ids });
  expect(done).toBe('StartConfigRulesEvaluation ec2-imdsv2-check');
  expect(received).toEqual([
    {
      path: '/',
      target: 'StarlingDoveService.StartConfigRulesEvaluation',
      body: { ConfigRuleNames: ['ec2-imdsv2-check'] },
    },
  ]);
});

it('resolves the Security Hub finding with a note linking the execution (local stand-in: moto lacks BatchUpdateFindings)', async () => {
  const finding = singleFinding(parseMessageBody(fixtureText('securityhub-ec2.8-failed.json')));
  await runActivity(activities().reportToSource, { finding, ...ids });
  expect(received[0]?.path).toBe('/findings/batchupdate');
  expect(received[0]?.body).toMatchObject({
    FindingIdentifiers: [{ Id: finding.details.findingId, ProductArn: finding.details.productArn }],
    Workflow: { Status: 'RESOLVED' },
    Note: {
      UpdatedBy: 'remediator',
      Text: expect.stringContaining('http://ui.example/namespaces/default/workflows/remediation%2F'),
    },
  });
});

it('fails (for the workflow to log) when Security Hub leaves the finding unprocessed', async () => {
  unprocessed = true;
  const finding = singleFinding(parseMessageBody(fixtureText('securityhub-ec2.8-failed.json')));
  await expect(runActivity(activities().reportToSource, { finding, ...ids })).rejects.toMatchObject({
    type: 'FindingNotFound',
  });
});
