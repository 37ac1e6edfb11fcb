#!/usr/bin/env node
/**
 * `remediator`: the command-line entry point (docs/architecture.md, CLI). Each command has `--help`.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { Client } from '@temporalio/client';
import { durationFromNow, exempt, pause, resume, showControls } from './commands/controls';
import { cancelRemediation } from './commands/cancel';
import { decide, DecisionRefusedError, operatorIdentity } from './commands/decide';
import { formatRollback, rollback } from './commands/rollback';
import { runSweep, scheduleSweep, unscheduleSweep } from './commands/sweep';
import { bundleWorkflows } from './commands/bundle-workflows';
import { runCodecServer } from './commands/codec-server';
import { runDemo } from './commands/demo';
import { runDev } from './commands/dev';
import { replayHistories } from './commands/replay';
import { buildReport, parseSince, writeReport } from './commands/report';
import { sendEvent } from './commands/send-event';
import { formatLocalResources, setupLocal } from './commands/setup-local';
import { status } from './commands/status';
import { ConfigError, loadAwsSettings, loadClientConfig } from './config';
import { runIngest } from './ingest/run-ingest';
import { jsonLogger } from './logger';
import { loadPolicy, PolicyError } from './policy/load-policy';
import { connectClient } from './temporal/connection';
import { MissingSearchAttributesError } from './temporal/search-attributes-check';
import { runWorker } from './worker';

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** The dev server's Web UI, as both spellings of its address. */
const DEFAULT_UI_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];

/** An origin such as `http://localhost:8233` (a trailing slash is dropped; no path). */
function origin(value: string, previous: string[] | undefined): string[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be an origin such as http://localhost:8233');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search) {
    throw new InvalidArgumentError(
      'must be an origin such as http://localhost:8233 (scheme, host, port; no path)',
    );
  }
  return [...(previous === DEFAULT_UI_ORIGINS ? [] : (previous ?? [])), url.origin];
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new InvalidArgumentError('must be a TCP port (1-65535)');
  return n;
}

const ENVIRONMENT_HELP = `
Environment:
  TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE  Temporal connection (envconfig)
  TEMPORAL_TASK_QUEUE   task queue (default: remediation)
  AWS_REGION            region of the queue, topics and audit bucket; credentials from the default chain
  AWS_ENDPOINT_URL      point every AWS client at an emulator (moto)
  INGEST_QUEUE_URL      the SQS queue EventBridge delivers detector events to (ingest)
  INGEST_DLQ_URL        dead-letter queue for invalid messages (default: from the queue's redrive policy)
  NOTIFY_TOPIC_ARN      SNS topic for outcomes (worker)
  ONCALL_TOPIC_ARN      SNS topic for escalations (worker)
  AUDIT_BUCKET          S3 bucket for audit records (optional; logged otherwise)
  REMEDIATION_POLICY    policy file, YAML or JSON (default: built-in seed policy)
  TEMPORAL_UI_URL       base URL of the Temporal Web UI for links in notifications
  WORKFLOW_BUNDLE_PATH  workflow bundle from \`remediator bundle-workflows\` (worker; default: bundle at start)
  TICKET_SINK           where escalation tickets go: audit (default), sns, webhook, jira
  TICKET_TOPIC_ARN      tickets topic (sns); TICKET_WEBHOOK_URL, TICKET_WEBHOOK_SECRET (webhook)
  JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN, JIRA_PROJECT_KEY, JIRA_ISSUE_TYPE  Jira Cloud (jira)
  PAYLOAD_ENCRYPTION_KEYS  payload encryption keys <keyId>:<base64 32 bytes>,... (first encrypts, all decrypt)
  PAYLOAD_ENCRYPTION_KEY_ID  which of them encrypts (default: the first)
  PAYLOAD_KMS_KEY_ID    encrypt with a KMS data key per process instead (envelope encryption)
  CODEC_SERVER_TOKEN    bearer token the codec server requires (optional)`;

/** The `remediator` program with every command registered; exported so tests can list the commands. */
export function buildProgram(): Command {
  const program = new Command()
    .name('remediator')
    .description('Durable auto-remediation for AWS on Temporal: analyse, fix, verify, notify, escalate.')
    .addHelpText('after', ENVIRONMENT_HELP)
    .showHelpAfterError();

  program
    .command('worker')
    .description('Run the Temporal worker (workflows + AWS activities). Stops gracefully on SIGINT/SIGTERM.')
    .action(async () => runWorker(jsonLogger('worker')));

  program
    .command('bundle-workflows')
    .description(
      'Bundle the workflow code ahead of time into one file; a worker started with WORKFLOW_BUNDLE_PATH set to it ' +
        'loads it instead of bundling at start (the container image ships one).',
    )
    .requiredOption('--out <file>', 'where to write the bundle (directories are created)')
    .action(async (opts: { out: string }) => {
      const { path, bytes } = await bundleWorkflows(opts.out);
      print(`Wrote the workflow bundle (${Math.ceil(bytes / 1024)} KiB) to ${path}`);
      print(`Run the worker with WORKFLOW_BUNDLE_PATH=${path}`);
    });

  program
    .command('codec-server')
    .description(
      "Serve Temporal's remote codec protocol (POST /encode, /decode) with the payload keys, so the Web UI " +
        '(Configure Codec Server) and the Temporal CLI (--codec-endpoint) show decrypted payloads. Needs ' +
        'PAYLOAD_ENCRYPTION_KEYS (or PAYLOAD_KMS_KEY_ID); with CODEC_SERVER_TOKEN set, requests need ' +
        '"Authorization: Bearer <token>". Stops on SIGINT/SIGTERM.',
    )
    .option('--port <port>', 'port to listen on', port, 8888)
    .option(
      '--host <address>',
      'address to bind; the default, loopback, keeps it on this machine (anyone who reaches it can decrypt)',
      '127.0.0.1',
    )
    .option(
      '--ui-origin <origin>',
      'Web UI origin allowed by CORS, repeatable (e.g. https://cloud.temporal.io)',
      origin,
      DEFAULT_UI_ORIGINS,
    )
    .option(
      '--namespace <name...>',
      'namespaces a request (X-Namespace) may name (default: TEMPORAL_NAMESPACE, else default)',
    )
    .action(async (opts: { port: number; host: string; uiOrigin: string[]; namespace?: string[] }) =>
      runCodecServer(
        {
          host: opts.host,
          port: opts.port,
          uiOrigins: opts.uiOrigin,
          ...(opts.namespace ? { namespaces: opts.namespace } : {}),
        },
        jsonLogger('codec-server'),
        print,
      ),
    );

  program
    .command('ingest')
    .description(
      'Run the ingest bridge: long-poll INGEST_QUEUE_URL, validate and route each event, signal-with-start the ' +
        "resource's workflow, delete only after Temporal accepted it. SIGTERM lets the long poll in flight return " +
        '(up to INGEST_WAIT_TIME_SECONDS) and finishes in-flight messages, then exits 0; a second SIGTERM cuts the ' +
        'poll short.',
    )
    .action(async () => runIngest(jsonLogger('ingest')));

  program
    .command('dev')
    .description('Run the local stack: Temporal dev server with Web UI, moto, worker and ingest bridge.')
    .option('--temporal-port <port>', 'Temporal frontend port', port, 7233)
    .option('--ui-port <port>', 'Temporal Web UI port', port, 8233)
    .option('--moto-port <port>', 'moto port', port, 5055)
    .action(async (opts: { temporalPort: number; uiPort: number; motoPort: number }) => {
      const { policyPath } = loadClientConfig();
      await runDev({ ...opts, ...(policyPath ? { policyPath } : {}) }, jsonLogger('dev', 'warn'), print);
    });

  program
    .command('demo')
    .description(
      'Run the seed scenario end to end on a fresh local stack and print the outcome with its UI link.',
    )
    .option('--keep-running', 'keep the stack up afterwards to explore the Temporal UI', false)
    .option('--headless', 'start the Temporal dev server without its Web UI', false)
    .option(
      '--all',
      'after the S3 scenario, run every other seed scenario (EBS, IMDSv2, SSH, GuardDuty EC2, crypto and IAM, ' +
        'Security Hub EC2.8, an approval, instance recovery, scale-out)',
      false,
    )
    .action(async (opts: { keepRunning: boolean; headless: boolean; all: boolean }) => {
      const outcome = await runDemo(opts, jsonLogger('demo', 'warn'), print);
      if (outcome.status !== 'REMEDIATED') process.exitCode = 1;
    });

  program
    .command('send-event')
    .description('Put an EventBridge event (JSON file) on a bus, or directly on a queue with --queue-url.')
    .argument('<file.json>', 'an EventBridge event as AWS documents it')
    .option('--bus <name>', 'event bus name', 'default')
    .option('--queue-url <url>', 'send the raw event to this SQS queue instead of EventBridge')
    .action(async (file: string, opts: { bus: string; queueUrl?: string }) =>
      print(await sendEvent(file, opts)),
    );

  program
    .command('status')
    .description(
      'Show one remediation (by workflow id: phase, what waits for approval, outcomes), or list remediations and ' +
        'rollbacks from Temporal visibility: the running ones, or with --recent the ones started within a period.',
    )
    .argument('[workflowId]', 'remediation/<account>/<region>/<resourceType>/<resourceId>')
    .option('--awaiting-approval', 'only the remediations waiting for an approval decision', false)
    .option('--status <status>', 'only this RemediationStatus (ESCALATED, REMEDIATED, PAUSED, APPLYING, ...)')
    .option('--playbook <id>', 'only this playbook')
    .option('--account <id>', 'only this account')
    .option('--recent <duration>', 'include finished ones started within this period (30m, 12h, 7d)')
    .option('--limit <n>', 'at most this many rows', (v) => positiveInt(v), 200)
    .action(
      async (
        workflowId: string | undefined,
        opts: {
          awaitingApproval: boolean;
          status?: string;
          playbook?: string;
          account?: string;
          recent?: string;
          limit: number;
        },
      ) => {
        loadClientConfig();
        const recentMs = opts.recent ? durationFromNow(opts.recent) : undefined;
        const client = await connectClient();
        try {
          print(
            await status(client, workflowId, {
              awaitingApproval: opts.awaitingApproval,
              limit: opts.limit,
              ...(opts.status ? { status: opts.status } : {}),
              ...(opts.playbook ? { playbook: opts.playbook } : {}),
              ...(opts.account ? { account: opts.account } : {}),
              ...(recentMs !== undefined ? { recentMs } : {}),
            }),
          );
        } finally {
          await client.connection.close();
        }
      },
    );

  program
    .command('report')
    .description(
      'Report what the remediator did in a period, from Temporal: outcomes by status and playbook, time to ' +
        'remediate per playbook (p50/p90), escalations by reason, the busiest accounts and resources, approvals ' +
        'decided and by whom, operator rollbacks. A table by default; --json for machines, --html for a page.',
    )
    .option('--since <duration>', 'the period that ends now: 30m, 12h, 7d, 2w', '7d')
    .option('--json', 'print the report as JSON (schema remediator.report/v1, docs/report.md)', false)
    .option('--html <file>', 'also write a self-contained HTML page with charts to this file')
    .option('--top <n>', 'length of the top accounts and resources lists', (v) => positiveInt(v), 10)
    .addHelpText(
      'after',
      '\nEvery remediation and rollback run open at some moment of the period is read (visibility, then each\n' +
        "run's history; a running remediation is also asked for its status), and each outcome is counted once,\n" +
        'by when it finished. Time to remediate is verification.at (or finishedAt) minus finding.observedAt over\n' +
        'REMEDIATED outcomes whose verification passed; percentiles are nearest rank (always an observed value).\n' +
        'The HTML page fetches nothing (inline SVG charts and styles). Field by field: docs/report.md.',
    )
    .action(async (opts: { since: string; json: boolean; html?: string; top: number }) => {
      loadClientConfig();
      const sinceMs = parseSince(opts.since);
      const client = await connectClient();
      try {
        const report = await buildReport(client, { sinceMs, top: opts.top });
        const out = writeReport(report, { json: opts.json, ...(opts.html ? { html: opts.html } : {}) });
        print(out.stdout);
        // With --json stdout is only the JSON: the note about the page goes to stderr.
        if (out.htmlPath) process.stderr.write(`Wrote the HTML report to ${out.htmlPath}\n`);
      } finally {
        await client.connection.close();
      }
    });

  for (const decision of ['approve', 'reject'] as const) {
    program
      .command(decision)
      .description(
        decision === 'approve'
          ? 'Approve the remediation waiting for approval: it re-reads the resource, then applies the plan it showed.'
          : 'Reject the remediation waiting for approval: nothing is changed, the outcome is REJECTED and notified.',
      )
      .argument('<workflowId>', 'remediation/<account>/<region>/<resourceType>/<resourceId>')
      .requiredOption(
        '--reason <text>',
        'why (recorded with your identity in the outcome and the audit trail)',
      )
      .option(
        '--request <requestId>',
        'the request you mean (from `remediator status`); refused if another waits',
      )
      .option(
        '--unsigned',
        'send the decision without an AWS signature (refused unless the policy allows unsigned decisions)',
        false,
      )
      .addHelpText(
        'after',
        '\nThe decision is signed with your AWS identity (the SDK default chain: aws sso login, a profile, the\n' +
          'environment): a presigned sts:GetCallerIdentity request bound to this workflow, request, decision and\n' +
          'reason, valid 5 minutes. The worker asks STS who signed and records that ARN as the decider; it must be\n' +
          "one of the policy's approvers. <OS user>@<host> is only the Temporal caller identity of the update.",
      )
      .action(async (workflowId: string, opts: { reason: string; request?: string; unsigned: boolean }) => {
        loadClientConfig();
        const by = operatorIdentity();
        const client = await connectClient(undefined, by);
        try {
          const { line } = await decide(
            client,
            workflowId,
            { decision, reason: opts.reason, by, ...(opts.request ? { requestId: opts.request } : {}) },
            opts.unsigned,
          );
          print(line);
        } finally {
          await client.connection.close();
        }
      });
  }

  /** Runs an operator command with a client whose caller identity is the operator's. */
  const asOperator = async (fn: (client: Client, taskQueue: string, by: string) => Promise<string>) => {
    const { taskQueue } = loadClientConfig();
    const by = operatorIdentity();
    const client = await connectClient(undefined, by);
    try {
      print(await fn(client, taskQueue, by));
    } finally {
      await client.connection.close();
    }
  };

  program
    .command('exempt')
    .description(
      'Exempt a resource from remediation until a time; recorded with your identity, then expires.',
    )
    .argument(
      '<resource>',
      '<account>/<region>/<resourceType>/<resourceId> (* allowed) or a remediation workflow id',
    )
    .requiredOption(
      '--until <time>',
      'an ISO time (2026-12-24T00:00:00Z) or a duration from now (30m, 12h, 7d, 2w)',
    )
    .requiredOption('--reason <text>', 'why (shown to whoever wonders why the resource was left alone)')
    .option(
      '--unsigned',
      'send it without an AWS signature (refused unless the policy allows unsigned decisions)',
      false,
    )
    .addHelpText(
      'after',
      '\nSigned with your AWS identity like approve/reject, recorded as the ARN STS vouches for, and paged to\n' +
        'on-call. Containment playbooks (isolation, access-key containment) honour an exemption only once two\n' +
        'different people have exempted the same resource.',
    )
    .action(async (resource: string, opts: { until: string; reason: string; unsigned: boolean }) =>
      asOperator((client, taskQueue, by) => exempt(client, taskQueue, { resource, ...opts, by })),
    );

  program
    .command('pause')
    .description(
      'Stop new remediations (all, or one playbook and/or account): they are held before their first change ' +
        'until resumed. Remediations already applying finish their steps (stopping half-way would be worse).',
    )
    .option('--playbook <id>', 'only this playbook')
    .option('--account <id>', 'only this account')
    .requiredOption('--reason <text>', 'why')
    .option(
      '--unsigned',
      'send it without an AWS signature (refused unless the policy allows unsigned decisions)',
      false,
    )
    .action(async (opts: { playbook?: string; account?: string; reason: string; unsigned: boolean }) =>
      asOperator((client, taskQueue, by) => pause(client, taskQueue, { ...opts, by })),
    );

  program
    .command('resume')
    .description('Lift the pause of exactly this scope and wake the remediations it held.')
    .option('--playbook <id>', 'the paused playbook')
    .option('--account <id>', 'the paused account')
    .option(
      '--unsigned',
      'send it without an AWS signature (refused unless the policy allows unsigned decisions)',
      false,
    )
    .action(async (opts: { playbook?: string; account?: string; unsigned: boolean }) =>
      asOperator((client, taskQueue, by) => resume(client, taskQueue, { ...opts, by })),
    );

  program
    .command('cancel')
    .description(
      'Cancel a running remediation, recording who asks and why: what it changed is restored from the recorded ' +
        'prior state (containment is kept, failing closed), and the outcome CANCELLED is notified and audited.',
    )
    .argument('<workflowId>', 'remediation/<account>/<region>/<resourceType>/<resourceId>')
    .requiredOption('--reason <text>', 'why (recorded with your identity)')
    .action(async (workflowId: string, opts: { reason: string }) =>
      asOperator((client, _taskQueue, by) =>
        cancelRemediation(client, workflowId, { by, reason: opts.reason }),
      ),
    );

  program
    .command('rollback')
    .description(
      'Undo a completed remediation from its recorded prior state, as its own durable workflow: refuses when the ' +
        'resource changed since (unless --force), verifies the restored state, then exempts the resource for a while.',
    )
    .argument('<workflowId>', 'remediation/<account>/<region>/<resourceType>/<resourceId>')
    .option('--run <runId>', 'the run to undo (default: the latest)')
    .requiredOption('--reason <text>', 'why (recorded with your identity)')
    .option('--force', 'roll back even when the resource changed since the remediation', false)
    .option(
      '--exempt-for <duration>',
      'keep the remediator off the resource afterwards (30m, 12h, 7d)',
      '24h',
    )
    .option(
      '--unsigned',
      'send the request without an AWS signature (refused unless the policy allows unsigned decisions)',
      false,
    )
    .addHelpText(
      'after',
      '\nSigned with your AWS identity like approve/reject; the worker records the ARN STS vouches for. A containment\n' +
        '(isolation, access-key containment) also needs a second approver, someone else:\n' +
        "  remediator approve 'rollback/<workflowId>/<runId>' --reason '…'",
    )
    .action(
      async (
        workflowId: string,
        opts: { run?: string; reason: string; force: boolean; exemptFor: string; unsigned: boolean },
      ) => {
        let status = 'ROLLED_BACK';
        await asOperator(async (client, taskQueue, by) => {
          const result = await rollback(client, taskQueue, {
            workflowId,
            ...(opts.run ? { runId: opts.run } : {}),
            reason: opts.reason,
            by,
            force: opts.force,
            exemptFor: opts.exemptFor,
            unsigned: opts.unsigned,
          });
          status = result.status;
          return formatRollback(result);
        });
        if (status === 'REFUSED') process.exitCode = 2;
        else if (status !== 'ROLLED_BACK') process.exitCode = 1;
      },
    );

  program
    .command('sweep')
    .description(
      'Find resources that are already NON_COMPLIANT in AWS Config (it only emits on change) and send each ' +
        'through the same path as an event: enrich, route by the policy, start its remediation.',
    )
    .option('--rule <name...>', 'only these Config rules (default: every rule in the account and region)')
    .option('--account <id>', "the account Config runs in (default: the credentials' own)")
    .option('--dry-run', 'list what would be started, start nothing', false)
    .option(
      '--every <duration>',
      'instead of sweeping now, have the worker sweep on a Temporal schedule (6h, 1d)',
    )
    .option('--unschedule', 'delete the sweep schedule', false)
    .action(
      async (opts: {
        rule?: string[];
        account?: string;
        dryRun: boolean;
        every?: string;
        unschedule: boolean;
      }) => {
        if (opts.unschedule) return asOperator((client, taskQueue) => unscheduleSweep(client, taskQueue));
        if (opts.every) {
          const everyMs = durationFromNow(opts.every);
          const request = {
            ...(opts.rule ? { rules: opts.rule } : {}),
            ...(opts.account ? { account: opts.account } : {}),
          };
          return asOperator((client, taskQueue) => scheduleSweep(client, taskQueue, everyMs, request));
        }
        const { policyPath } = loadClientConfig();
        const aws = loadAwsSettings();
        const policy = loadPolicy(policyPath);
        await asOperator((client, taskQueue) =>
          runSweep(
            client,
            taskQueue,
            aws,
            policy,
            {
              dryRun: opts.dryRun,
              ...(opts.rule ? { rules: opts.rule } : {}),
              ...(opts.account ? { account: opts.account } : {}),
            },
            jsonLogger('sweep', 'warn'),
          ),
        );
      },
    );

  program
    .command('controls')
    .description('Show the pauses and exemptions in force.')
    .action(async () => asOperator((client, taskQueue) => showControls(client, taskQueue)));

  program
    .command('setup-local')
    .description(
      'Create on the AWS emulator at AWS_ENDPOINT_URL (moto) the ingest queue and its dead-letter queue, the ' +
        'detector-events rule, the outcome and on-call topics and the audit bucket; print them as export lines. ' +
        'Idempotent. The setup service of docker-compose.yml runs it.',
    )
    .option('--prefix <name>', 'prefix of every resource name', 'remediator')
    .action(async (opts: { prefix: string }) => {
      const aws = loadAwsSettings();
      formatLocalResources(await setupLocal(aws, { prefix: opts.prefix }), aws).forEach(print);
    });

  program
    .command('replay')
    .description('Replay recorded workflow histories (JSON) against the current workflow code.')
    .argument('<history.json...>', 'histories exported from the Temporal UI/CLI or test/replay/histories')
    .action(async (files: string[]) => {
      const { ok, lines } = await replayHistories(files);
      lines.forEach(print);
      if (!ok) process.exitCode = 1;
    });

  return program;
}

async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}

// Only as the entry point: importing the module (tests listing the commands) must not parse the importer's argv.
if (require.main === module) {
  main(process.argv).catch((err: unknown) => {
    const known =
      err instanceof ConfigError ||
      err instanceof PolicyError ||
      err instanceof MissingSearchAttributesError ||
      err instanceof DecisionRefusedError;
    process.stderr.write(
      `remediator: ${known ? (err as Error).message : String((err as Error)?.stack ?? err)}\n`,
    );
    process.exit(known ? 2 : 1);
  });
}
