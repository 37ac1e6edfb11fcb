/**
 * An apply marks the step it is about to make (its heartbeat details) and waits for the server to have the mark
 * before the change goes out: a worker killed while its change is on the way to AWS leaves a retry that knows the
 * change is this remediation's. A mark the server did not take means no change at all.
 */
import { z } from 'zod';
import { AwsClients } from '../../src/aws/clients';
import type { AttemptDetails } from '../../src/activities/heartbeat-details';
import { createRemediationActivities } from '../../src/activities/remediation-activities';
import { kitHandler } from '../../src/kit/kit-handler';
import type { KitPlaybook } from '../../src/kit/playbook-kit';
import { runActivity } from '../helpers/activity-env';
import { TEST_CREDENTIALS } from '../helpers/aws';
import { s3Finding } from '../helpers/fixtures';

// The playbook below keeps its state in memory: a call that went out to AWS would fail (nothing listens here).
const clients = new AwsClients({
  endpoint: 'http://127.0.0.1:9',
  credentials: TEST_CREDENTIALS,
  maxAttempts: 1,
});
afterAll(() => clients.destroy());

const state = z.object({ on: z.boolean() });

/** A one-step playbook over an in-memory flag, logging what happens in `events`. */
function flagPlaybook(events: string[]) {
  let on = false;
  return {
    id: 'flag-on',
    title: 'Turn the flag on',
    kind: 'configuration',
    defaultMode: 'auto',
    roleFamily: 'configuration',
    resource: { type: 'AWS::S3::Bucket', idPattern: /^[a-z0-9.-]{3,63}$/ },
    defaultSeverity: 4,
    triggers: {},
    iamActions: [],
    state,
    read: () => Promise.resolve({ on }),
    describe: (s) => `flag ${s.on ? 'on' : 'off'}`,
    steps: [
      {
        id: 'turn-on',
        title: 'Turn it on',
        onFailure: 'compensate',
        plan: (s) => (s.on ? undefined : 'turn the flag on'),
        apply() {
          events.push('change');
          on = true;
          return Promise.resolve({ changed: true, detail: 'turned on' });
        },
        undo: () => Promise.resolve({ changed: false, detail: 'left' }),
      },
    ],
  } satisfies KitPlaybook<z.infer<typeof state>, 'flag-on'>;
}

function request(events: string[]) {
  return {
    finding: s3Finding('flag-bucket'),
    playbook: 'flag-on',
    step: 'turn-on',
    prior: { on: false },
    playbookHandler: kitHandler(flagPlaybook(events), clients),
  };
}

it('sends the change only after the server has acknowledged the mark, with its task token and step', async () => {
  const events: string[] = [];
  const marks: { token: Uint8Array; details: AttemptDetails }[] = [];
  const { playbookHandler, ...stepRequest } = request(events);
  const { applyStep } = createRemediationActivities(
    { 'flag-on': playbookHandler },
    {
      recordHeartbeat: async (token, details) => {
        events.push('mark sent');
        await new Promise((resolve) => setTimeout(resolve, 50));
        marks.push({ token, details });
        events.push('mark acknowledged');
      },
    },
  );

  const result = await runActivity(applyStep, stepRequest);

  expect(events).toEqual(['mark sent', 'mark acknowledged', 'change']);
  expect(marks).toEqual([{ token: expect.any(Uint8Array), details: { applying: 'turn-on' } }]);
  expect(result).toMatchObject({ step: 'turn-on', changed: true });
});

it('makes no change when the server does not take the mark, and fails the attempt to be retried', async () => {
  const events: string[] = [];
  const { playbookHandler, ...stepRequest } = request(events);
  const { applyStep } = createRemediationActivities(
    { 'flag-on': playbookHandler },
    { recordHeartbeat: () => Promise.reject(new Error('UNAVAILABLE: connection refused')) },
  );

  const failure = await runActivity(applyStep, stepRequest).catch((e: unknown) => e);

  expect(failure).toMatchObject({ message: expect.stringContaining('UNAVAILABLE') });
  expect(events).toEqual([]);
});
