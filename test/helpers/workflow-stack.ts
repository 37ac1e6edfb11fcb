/**
 * A suite's full stack for workflow tests: the Temporal dev server, moto with the local resources (topics, inboxes,
 * audit bucket), the bundled workflow code and a factory for workers with real activities.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import type { ActivityDeps } from '../../src/activities';
import type { AwsClients } from '../../src/aws/clients';
import { createLocalResources } from '../../src/devstack/local-resources';
import type { LocalResources } from '../../src/devstack/local-resources';
import type { MotoServer } from '../../src/devstack/moto-server';
import { WORKFLOW_PRELOAD_MODULES, WORKFLOWS_PATH } from '../../src/worker';
import { motoClients, rawClients } from './aws';
import { startSuiteMoto, startSuiteTemporal } from './servers';
import { testPolicyFor } from './worker-policies';
import { createIdentityVerifier } from '../../src/auth/verify-decision';
import { motoStsFetch } from '../../src/devstack/moto-sts-fetch';
import { NO_EMF } from '../../src/metrics/emf';
import type { EmfWriter } from '../../src/metrics/emf';
import { metricsSinks } from '../../src/metrics/metrics-sinks';
import { startTogether } from '../../src/devstack/processes';

let runtimeInstalled = false;

/** Everything a workflow suite needs. */
export interface WorkflowStack {
  readonly env: TestWorkflowEnvironment;
  readonly moto: MotoServer;
  readonly resources: LocalResources;
  readonly bundle: WorkflowBundleWithSourceMap;
  readonly raw: ReturnType<typeof rawClients>;
  /**
   * Real activities on a fresh client factory (so failure injection on one test's clients stays local); `extra`
   * replaces dependencies of the defaults (a detector confirmation, an STS verifier of a stand-in).
   */
  activities(clients?: AwsClients, extra?: Partial<ActivityDeps>): ReturnType<typeof createActivities>;
  /** A worker on a new task queue. */
  worker(taskQueue: string, activities: object): Promise<Worker>;
  stop(): Promise<void>;
}

/** Starts the suite's servers and bundles the workflows once. */
export async function startWorkflowStack(): Promise<WorkflowStack> {
  if (!runtimeInstalled) {
    try {
      Runtime.install({ logger: new DefaultLogger('ERROR') });
    } catch {
      // Already installed by an earlier suite in this process.
    }
    runtimeInstalled = true;
  }
  const [env, moto, bundle] = await startTogether([
    startSuiteTemporal(),
    startSuiteMoto(),
    bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      preloadModules: [...WORKFLOW_PRELOAD_MODULES],
      logger: new DefaultLogger('WARN'),
    }),
  ]);
  const raw = rawClients(moto.endpoint);
  const resources = await createLocalResources(raw, `t${randomUUID().slice(0, 8)}`);
  const factories: AwsClients[] = [];
  return {
    env,
    moto,
    resources,
    bundle,
    raw,
    activities(clients?: AwsClients, extra: Partial<ActivityDeps> = {}) {
      const used = clients ?? motoClients(moto.endpoint);
      factories.push(used);
      return createActivities({
        clients: used,
        notifyTopicArn: resources.notifyTopicArn,
        oncallTopicArn: resources.oncallTopicArn,
        auditBucket: resources.auditBucket,
        region: 'ap-northeast-1',
        ui: { temporalUiUrl: 'http://localhost:8233', namespace: env.namespace ?? 'default' },
        temporal: env.client,
        policyFor: testPolicyFor,
        verifyIdentity: createIdentityVerifier({ stsEndpoint: moto.endpoint, fetch: motoStsFetch }),
        ...extra,
      });
    },
    worker(taskQueue: string, activities: object, emf: EmfWriter = NO_EMF) {
      return Worker.create({
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue,
        workflowBundle: bundle,
        activities,
        // The workflows' EMF sink, as the real worker registers it (src/worker.ts).
        sinks: metricsSinks(emf),
      });
    },
    async stop() {
      for (const f of factories) f.destroy();
      await env?.teardown();
      await moto?.stop();
    },
  };
}
