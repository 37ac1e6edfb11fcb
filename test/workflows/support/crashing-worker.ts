/**
 * A worker process that applies the real change and then hangs, so the test can kill it with SIGKILL between the
 * AWS call and the activity's completion: the worst moment for a crash.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, DefaultLogger, Runtime } from '@temporalio/worker';
import { createActivities } from '../../../src/activities';
import { WORKFLOW_PRELOAD_MODULES, WORKFLOWS_PATH } from '../../../src/worker';
import { motoClients } from '../../helpers/aws';
import { fastSettings } from '../../helpers/fixtures';
import { NO_EMF } from '../../../src/metrics/emf';
import { metricsSinks } from '../../../src/metrics/metrics-sinks';
import { testPolicy } from '../../helpers/worker-policies';

interface Args {
  address: string;
  namespace: string;
  taskQueue: string;
  motoEndpoint: string;
  notifyTopicArn: string;
  oncallTopicArn: string;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as Args;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const client = new Client({
    connection: await Connection.connect({ address: args.address }),
    namespace: args.namespace,
  });
  const real = createActivities({
    temporal: client,
    clients: motoClients(args.motoEndpoint),
    notifyTopicArn: args.notifyTopicArn,
    oncallTopicArn: args.oncallTopicArn,
    region: 'ap-northeast-1',
    ui: { temporalUiUrl: 'http://localhost:8233', namespace: args.namespace },
    policyFor: () => testPolicy(fastSettings({ activityTimeoutMs: 4000 })),
  });
  const connection = await NativeConnection.connect({ address: args.address });
  const worker = await Worker.create({
    connection,
    namespace: args.namespace,
    taskQueue: args.taskQueue,
    workflowsPath: WORKFLOWS_PATH,
    bundlerOptions: { preloadModules: [...WORKFLOW_PRELOAD_MODULES] },
    sinks: metricsSinks(NO_EMF),
    activities: {
      ...real,
      applyStep: async (req: Parameters<typeof real.applyStep>[0]) => {
        await real.applyStep(req);
        process.stdout.write('APPLIED\n');
        return new Promise<never>(() => undefined);
      },
    },
  });
  process.stdout.write('READY\n');
  await worker.run();
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
