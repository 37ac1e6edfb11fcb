/**
 * `remediator <args>` as a real child process (`node --import tsx src/cli.ts`), with only the environment the test
 * gives it (plus PATH and HOME), its stdout and stderr collected together.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { LocalResources } from '../../src/devstack/local-resources';

const CLI = join(__dirname, '../../src/cli.ts');

/** A running CLI process. */
export interface Running {
  /** Everything it wrote so far, stdout and stderr interleaved. */
  readonly output: () => string;
  /** Its exit code (`null` when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Resolves when `text` appears in the output; rejects if the process exits or `timeoutMs` passes first. */
  waitFor(text: string, timeoutMs: number): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts `remediator <args>` with exactly `env` (plus PATH and HOME). */
export function remediator(args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    output: () => out,
    exited,
    async waitFor(text, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let gone = false;
      void exited.then(() => (gone = true));
      while (!out.includes(text)) {
        if (gone || Date.now() > deadline)
          throw new Error(`no '${text}' from remediator ${args[0]}:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    kill: (signal) => child.kill(signal),
  };
}

/**
 * The environment `remediator worker` and `remediator ingest` need against a test's dev server (`address`), moto
 * (`motoEndpoint`) and local resources, on `taskQueue`; a test adds what it varies (policy, metrics, tracing).
 */
export function stackProcessEnv(stack: {
  readonly address: string;
  readonly motoEndpoint: string;
  readonly resources: LocalResources;
  readonly taskQueue: string;
}): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: stack.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    AWS_REGION: 'ap-northeast-1',
    AWS_ENDPOINT_URL: stack.motoEndpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    INGEST_QUEUE_URL: stack.resources.ingestQueueUrl,
    INGEST_WAIT_TIME_SECONDS: '1',
    NOTIFY_TOPIC_ARN: stack.resources.notifyTopicArn,
    ONCALL_TOPIC_ARN: stack.resources.oncallTopicArn,
    AUDIT_BUCKET: stack.resources.auditBucket,
  };
}
