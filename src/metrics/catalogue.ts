/**
 * Every metric the remediator emits, in one table (docs/observability.md): its Prometheus name and labels, which
 * process emits it, and, for those that also go to CloudWatch through the Embedded Metric Format, the CloudWatch name
 * and the dimension sets the stacks' dashboard queries. Code emits only what this table declares (`meters.ts`), and a
 * test holds every CloudWatch widget and Grafana panel against it, so a renamed metric cannot leave a blank graph.
 */

/** The CloudWatch namespace of the EMF metrics. */
export const CLOUDWATCH_NAMESPACE = 'Remediator';

/** The kinds of instrument (the Temporal SDK's metric meter has these three). */
export type MetricKind = 'counter' | 'histogram' | 'gauge';

/** Which process emits a metric. */
export type MetricEmitter = 'worker' | 'ingest';

/** How a metric appears in CloudWatch (EMF). */
export interface CloudWatchMetric {
  /** The CloudWatch metric name. */
  readonly name: string;
  /** The CloudWatch unit. */
  readonly unit: 'Count' | 'Seconds';
  /** The dimension sets each EMF line declares (CloudWatch dimension names); `[]` is the metric with no dimension. */
  readonly dimensionSets: readonly (readonly string[])[];
}

/** One metric. */
export interface MetricDefinition {
  /** The Prometheus (and OTLP) name. */
  readonly name: string;
  readonly kind: MetricKind;
  readonly unit: string;
  readonly description: string;
  /** The labels it carries; every emission sets all of them. */
  readonly labels: readonly string[];
  readonly emitter: MetricEmitter;
  /** Histogram bucket bounds, in `unit`. */
  readonly buckets?: readonly number[];
  readonly cloudWatch?: CloudWatchMetric;
}

/** Each Prometheus label's CloudWatch dimension name (EMF lines carry these). */
export const DIMENSION_NAMES = {
  playbook: 'Playbook',
  outcome: 'Outcome',
  source: 'Source',
  account: 'Account',
  reason: 'Reason',
  disposition: 'Disposition',
  result: 'Result',
  decision: 'Decision',
} as const satisfies Readonly<Record<string, string>>;

/** Seconds, from a fix in under a minute to one that took days of waiting for approval. */
const DURATION_BUCKETS_S = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21_600, 86_400, 259_200];

const catalogue = {
  findingsReceived: {
    name: 'remediator_findings_received_total',
    kind: 'counter',
    unit: 'findings',
    description:
      'Findings the ingest took from the queue, by detector and what became of each: delivered (started an execution ' +
      'or reached the running one), acknowledged (nothing to do: a passed check, a route to no playbook) or ' +
      'dead_lettered (refused: malformed, untrusted, too old).',
    labels: ['source', 'disposition', 'account'],
    emitter: 'ingest',
    cloudWatch: {
      name: 'FindingsReceived',
      unit: 'Count',
      dimensionSets: [['Source', 'Disposition'], ['Disposition']],
    },
  },
  ingestMessageAge: {
    name: 'remediator_ingest_message_age_seconds',
    kind: 'histogram',
    unit: 's',
    description: 'How long a message had waited in the ingest queue when the ingest received it.',
    labels: [],
    emitter: 'ingest',
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
  },
  ingestPolls: {
    name: 'remediator_ingest_polls_total',
    kind: 'counter',
    unit: 'polls',
    description:
      'Receives from the ingest queue, by result (ok, error): the bridge is alive and reaching SQS.',
    labels: ['result'],
    emitter: 'ingest',
    cloudWatch: { name: 'IngestPolls', unit: 'Count', dimensionSets: [['Result']] },
  },
  remediations: {
    name: 'remediator_remediations_total',
    kind: 'counter',
    unit: 'remediations',
    description:
      'Findings handled to an outcome, by playbook and outcome (remediated, escalated, rolled_back, no_action, ...).',
    labels: ['playbook', 'outcome', 'source', 'account'],
    emitter: 'worker',
    cloudWatch: {
      name: 'Remediations',
      unit: 'Count',
      dimensionSets: [['Playbook', 'Outcome'], ['Outcome']],
    },
  },
  timeToVerifiedFix: {
    name: 'remediator_time_to_verified_fix_seconds',
    kind: 'histogram',
    unit: 's',
    description:
      "Time from the finding's observation by its detector to the verified fix (MTTR), by playbook; approval waits " +
      'included.',
    labels: ['playbook', 'source'],
    emitter: 'worker',
    buckets: DURATION_BUCKETS_S,
    cloudWatch: { name: 'TimeToVerifiedFix', unit: 'Seconds', dimensionSets: [['Playbook'], []] },
  },
  approvalWait: {
    name: 'remediator_approval_wait_seconds',
    kind: 'histogram',
    unit: 's',
    description: "Time a remediation waited for an operator's decision, by playbook and decision.",
    labels: ['playbook', 'decision'],
    emitter: 'worker',
    buckets: DURATION_BUCKETS_S,
    cloudWatch: { name: 'ApprovalWait', unit: 'Seconds', dimensionSets: [['Playbook']] },
  },
  approvalsWaiting: {
    name: 'remediator_approvals_waiting',
    kind: 'gauge',
    unit: 'remediations',
    description: "Executions waiting for an operator's decision now (a count of the visibility store).",
    labels: [],
    emitter: 'worker',
    cloudWatch: { name: 'ApprovalsWaiting', unit: 'Count', dimensionSets: [[]] },
  },
  escalations: {
    name: 'remediator_escalations_total',
    kind: 'counter',
    unit: 'escalations',
    description: 'Escalations to people, by playbook and reason (a bounded code: see escalationReason).',
    labels: ['playbook', 'reason'],
    emitter: 'worker',
    cloudWatch: { name: 'Escalations', unit: 'Count', dimensionSets: [['Reason'], []] },
  },
  findingsAbsorbed: {
    name: 'remediator_findings_absorbed_total',
    kind: 'counter',
    unit: 'findings',
    description:
      "Findings a running execution took as a repeat of the one it is handling (the detector's re-sends).",
    // No playbook: a repeat's playbook is what the signal says, and a label must not take a request's text.
    labels: ['source'],
    emitter: 'worker',
  },
  rollbacks: {
    name: 'remediator_rollbacks_total',
    kind: 'counter',
    unit: 'rollbacks',
    description: 'Rollbacks an operator asked for, by playbook and result (rolled_back, refused, escalated).',
    labels: ['playbook', 'result'],
    emitter: 'worker',
    cloudWatch: { name: 'Rollbacks', unit: 'Count', dimensionSets: [['Result']] },
  },
  breakerTrips: {
    name: 'remediator_breaker_trips_total',
    kind: 'counter',
    unit: 'trips',
    description:
      "Circuit-breaker trips: a playbook's remediations in an account went over the policy's limit, and new ones wait " +
      'for approval until the window passes.',
    labels: ['playbook', 'account'],
    emitter: 'worker',
    cloudWatch: { name: 'BreakerTrips', unit: 'Count', dimensionSets: [['Playbook'], []] },
  },
  admissionHolds: {
    name: 'remediator_admission_holds_total',
    kind: 'counter',
    unit: 'remediations',
    description:
      'Remediations the admission control did not let through as asked, by reason: breaker (held for approval), ' +
      'flapping (escalated: it keeps breaking again), paused (held until resumed), exempt, protected.',
    labels: ['playbook', 'reason'],
    emitter: 'worker',
    cloudWatch: { name: 'AdmissionHolds', unit: 'Count', dimensionSets: [['Reason']] },
  },
  awsApiErrors: {
    name: 'remediator_aws_api_errors_total',
    kind: 'counter',
    unit: 'errors',
    description:
      'AWS API calls that failed, by service, error code and class (throttled, not_found, permanent, retryable).',
    labels: ['service', 'code', 'class'],
    emitter: 'worker',
  },
} as const satisfies Readonly<Record<string, MetricDefinition>>;

/** The catalogue, by key. */
export const METRICS: Readonly<Record<MetricKey, MetricDefinition>> = catalogue;

/** A catalogue key. */
export type MetricKey = keyof typeof catalogue;

/** The labels of metric `K`, as a record to fill. */
export type LabelsOf<K extends MetricKey> = Readonly<Record<(typeof catalogue)[K]['labels'][number], string>>;

/** Histogram bucket overrides for the Temporal runtime's exporters, from the catalogue. */
export function histogramBuckets(): Record<string, number[]> {
  return Object.fromEntries(
    Object.values(METRICS)
      .filter((m) => m.buckets !== undefined)
      .map((m) => [m.name, [...(m.buckets ?? [])]]),
  );
}
