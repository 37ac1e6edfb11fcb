/**
 * Sample events sent now (`send-event`, the demo): the event's time becomes the present and every detector timestamp
 * in its detail moves by as much, so the time from observation to fix is what it would be for a live detector.
 */
import { withDetectorTimesNow } from '../../src/commands/event-times';
import { fixtureText } from '../helpers/fixtures';

const NOW = Date.parse('2026-12-07T12:00:00.000Z');

it('moves the event time to now and the detector times by the same amount, keeping their distance', () => {
  const event = JSON.parse(fixtureText('config-s3-bucket-public-read-noncompliant.json')) as {
    time: string;
    detail: { newEvaluationResult: { resultRecordedTime: string; configRuleInvokedTime: string } };
  };
  const before = Date.parse(event.time) - Date.parse(event.detail.newEvaluationResult.resultRecordedTime);

  const moved = withDetectorTimesNow(event, NOW);

  expect(moved.time).toBe('2026-12-07T12:00:00.000Z');
  const recorded = Date.parse(moved.detail.newEvaluationResult.resultRecordedTime);
  expect(NOW - recorded).toBe(before);
  expect(moved.detail.newEvaluationResult.configRuleInvokedTime < moved.time).toBe(true);
  // The sample itself is left as it was.
  expect(event.time).toBe('2026-11-20T08:15:02Z');
});

it("reads CloudWatch's +0000 offsets and leaves other strings, numbers and an event without a time alone", () => {
  const event = {
    time: '2026-11-23T06:10:00Z',
    detail: {
      state: { timestamp: '2026-11-23T06:09:00.401+0000', value: 'ALARM' },
      count: 3,
      id: '2026-11-23',
    },
  };
  const moved = withDetectorTimesNow(event, Date.parse('2026-11-23T07:10:00Z'));
  expect(moved.detail).toEqual({
    state: { timestamp: '2026-11-23T07:09:00.401Z', value: 'ALARM' },
    count: 3,
    id: '2026-11-23',
  });
  const noTime = { detail: { at: '2026-11-23T06:09:00Z' } };
  expect(withDetectorTimesNow(noTime, NOW)).toBe(noTime);
});
