/**
 * `sns-topic-encrypted` takes a topic's name or ARN from the finding; an ARN of another account or region is not the
 * finding's resource (the confirmed account, the role's account) and is refused before any call, permanently.
 */
import { AwsClients } from '../../src/aws/clients';
import { kitHandler } from '../../src/kit/kit-handler';
import { snsTopicEncrypted } from '../../src/playbooks/sns-topic-encrypted';
import { runActivity } from '../helpers/activity-env';
import { TEST_CREDENTIALS } from '../helpers/aws';
import { configFinding } from '../helpers/fixtures';

// Nothing listens here: a call that went out would fail differently (and slowly).
const clients = new AwsClients({
  endpoint: 'http://127.0.0.1:9',
  credentials: TEST_CREDENTIALS,
  maxAttempts: 1,
});
afterAll(() => clients.destroy());

it.each([
  ['another account', 'arn:aws:sns:ap-northeast-1:999999999999:orders'],
  ['another region', 'arn:aws:sns:us-east-1:123456789012:orders'],
])('refuses a topic ARN of %s, naming it, without calling SNS', async (_label, arn) => {
  const finding = configFinding('sns-encrypted-kms', {
    account: '123456789012',
    region: 'ap-northeast-1',
    resourceType: 'AWS::SNS::Topic',
    resourceId: arn,
  });
  const failure = await runActivity(kitHandler(snsTopicEncrypted, clients).analyze, finding, {}).catch(
    (e: unknown) => e,
  );
  expect(failure).toMatchObject({
    nonRetryable: true,
    message: expect.stringContaining("not in the finding's account"),
  });
});
