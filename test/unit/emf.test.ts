/**
 * EMF lines (docs/observability.md): what the writer prints parses as the Embedded Metric Format, under the
 * catalogue's CloudWatch names with the dimension sets the dashboard queries; metrics that do not go to CloudWatch
 * print nothing, and EMF off prints nothing at all.
 */
import { emfRecord, emfWriter } from '../../src/metrics/emf';
import { metricsRecorder } from '../../src/metrics/recorder';
import { parseEmfLine } from '../helpers/emf';

const AT = Date.parse('2026-12-07T10:00:00Z');

it('writes one line per emission, parsing as EMF with the names, units and dimension sets of the catalogue', () => {
  const lines: string[] = [];
  const writer = emfWriter(true, (line) => lines.push(line));
  writer.write(
    [
      {
        key: 'remediations',
        labels: {
          playbook: 's3-block-public-access',
          outcome: 'remediated',
          source: 'aws.config',
          account: '123456789012',
        },
        value: 1,
      },
      {
        key: 'timeToVerifiedFix',
        labels: { playbook: 's3-block-public-access', source: 'aws.config' },
        value: 42.5,
      },
    ],
    AT,
  );
  expect(lines).toHaveLength(1);
  expect(lines[0]?.endsWith('\n')).toBe(true);
  const emf = parseEmfLine(lines[0]?.trim() ?? '');
  expect(emf).toEqual({
    _aws: {
      Timestamp: AT,
      CloudWatchMetrics: [
        {
          Namespace: 'Remediator',
          Dimensions: [['Playbook', 'Outcome'], ['Outcome']],
          Metrics: [{ Name: 'Remediations', Unit: 'Count' }],
        },
        {
          Namespace: 'Remediator',
          Dimensions: [['Playbook'], []],
          Metrics: [{ Name: 'TimeToVerifiedFix', Unit: 'Seconds' }],
        },
      ],
    },
    Playbook: 's3-block-public-access',
    Outcome: 'remediated',
    Source: 'aws.config',
    Account: '123456789012',
    Remediations: 1,
    TimeToVerifiedFix: 42.5,
  });
});

it('prints nothing for metrics without a CloudWatch name, or when EMF is off', () => {
  expect(
    emfRecord(
      [
        {
          key: 'awsApiErrors',
          labels: { service: 's3', code: 'AccessDenied', class: 'permanent' },
          value: 1,
        },
      ],
      AT,
    ),
  ).toBeUndefined();
  const lines: string[] = [];
  emfWriter(false, (line) => lines.push(line)).write([{ key: 'approvalsWaiting', labels: {}, value: 3 }], AT);
  emfWriter(true, (line) => lines.push(line)).write(
    [{ key: 'findingsAbsorbed', labels: { source: 'aws.config' }, value: 1 }],
    AT,
  );
  expect(lines).toEqual([]);
});

it('the recorder writes EMF even without a runtime meter, and every line it writes parses', () => {
  const lines: string[] = [];
  const recorder = metricsRecorder(
    undefined,
    emfWriter(true, (line) => lines.push(line)),
  );
  recorder.record('findingsReceived', {
    source: 'aws.guardduty',
    disposition: 'dead_lettered',
    account: 'unknown',
  });
  recorder.record('approvalsWaiting', {}, 2);
  expect(lines.map((l) => parseEmfLine(l.trim()))).toEqual([
    expect.objectContaining({ FindingsReceived: 1, Disposition: 'dead_lettered', Source: 'aws.guardduty' }),
    expect.objectContaining({ ApprovalsWaiting: 2 }),
  ]);
});

it('the EMF check itself refuses what CloudWatch would: a dimension without a value, a metric without a number', () => {
  const base = {
    _aws: {
      Timestamp: AT,
      CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [['D']], Metrics: [{ Name: 'M' }] }],
    },
  };
  expect(() => parseEmfLine(JSON.stringify({ ...base, M: 1 }))).toThrow('dimension D has no string value');
  expect(() => parseEmfLine(JSON.stringify({ ...base, D: 'x', M: 'one' }))).toThrow(
    'metric M has no number value',
  );
  expect(() => parseEmfLine(JSON.stringify({ _aws: { Timestamp: 'now', CloudWatchMetrics: [] } }))).toThrow(
    'not EMF',
  );
});
