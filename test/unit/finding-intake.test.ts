/**
 * The per-resource intake, pure: new work queued, repeats of one evaluation absorbed, a resource broken again after
 * its fix (with and without a COMPLIANT in between) taken as new work, stale events kept in their place, and the
 * summary continue-as-new carries.
 */
import { FindingIntake } from '../../src/domain/finding-intake';
import type { RoutedFinding } from '../../src/domain/finding';
import { s3Finding } from '../helpers/fixtures';

const PLAYBOOK = 's3-block-public-access';
const FIRST = '2026-11-20T08:14:51.512Z';
const FIXED = '2026-11-20T08:20:00.000Z';
const LATER = '2026-11-20T09:00:00.000Z';

const failed = (observedAt: string, eventId = `evt-${observedAt}`): RoutedFinding => ({
  finding: s3Finding('b', { observedAt, eventId }),
  playbook: PLAYBOOK,
});
const compliant = (observedAt: string): RoutedFinding => ({
  finding: s3Finding('b', { observedAt, state: 'PASSED', details: { complianceType: 'COMPLIANT' } }),
  playbook: PLAYBOOK,
});

/** An intake that handled the first finding and recorded its verified fix. */
function fixedOnce(): FindingIntake {
  const intake = new FindingIntake();
  expect(intake.receive(failed(FIRST)).disposition).toBe('queued');
  expect(intake.next()?.finding.observedAt).toBe(FIRST);
  intake.fixed('s3-bucket-public-read-prohibited', FIXED);
  return intake;
}

it('absorbs a repeat of the same evaluation, before and after the fix', () => {
  // Prepare
  const intake = new FindingIntake();

  // Act
  const first = intake.receive(failed(FIRST, 'evt-1'));
  const whileQueued = intake.receive(failed(FIRST, 'evt-2'));
  intake.next();
  intake.fixed('s3-bucket-public-read-prohibited', FIXED);
  const redelivered = intake.receive(failed(FIRST, 'evt-3'));

  // Assess
  expect([first.disposition, whileQueued.disposition, redelivered.disposition]).toEqual([
    'queued',
    'repeat',
    'repeat',
  ]);
  expect(intake.repeats).toBe(2);
  expect(intake.queued).toBe(0);
});

it('takes a newer failing evaluation after the verified fix as the resource broken again (no COMPLIANT between)', () => {
  // Prepare
  const intake = fixedOnce();

  // Act
  const again = intake.receive(failed(LATER));

  // Assess
  expect(again.disposition).toBe('regression');
  expect(intake.queued).toBe(1);
  expect(intake.regressions).toBe(1);
});

it('takes a failing evaluation newer than a COMPLIANT one as new work, and a stale one as a repeat', () => {
  // Prepare: not fixed by us (e.g. escalated), then the detector says it passed.
  const intake = new FindingIntake();
  intake.receive(failed(FIRST));
  intake.next();

  // Act
  const passed = intake.receive(compliant('2026-11-20T08:30:00.000Z'));
  const stale = intake.receive(failed(FIRST, 'evt-redelivered'));
  const broken = intake.receive(failed(LATER));

  // Assess
  expect(passed.disposition).toBe('compliant');
  expect(stale.disposition).toBe('repeat');
  expect(broken.disposition).toBe('regression');
  expect(intake.compliantSignals).toBe(1);
});

it('queues a regression once however often it is re-sent', () => {
  // Prepare
  const intake = fixedOnce();

  // Act
  const dispositions = [1, 2, 3].map((i) => intake.receive(failed(LATER, `evt-${i}`)).disposition);

  // Assess
  expect(dispositions).toEqual(['regression', 'repeat', 'repeat']);
  expect(intake.queued).toBe(1);
});

it('drops a queued finding only for a strictly newer COMPLIANT of the same control', () => {
  // Prepare
  const intake = new FindingIntake();
  intake.receive(failed(LATER));

  // Act
  const stale = intake.receive(compliant(FIRST));
  const fresh = intake.receive(compliant('2026-11-20T10:00:00.000Z'));

  // Assess
  expect(stale.droppedQueued).toBe(0);
  expect(fresh.droppedQueued).toBe(1);
  expect(intake.queued).toBe(0);
});

it('carries everything through its summary (continue-as-new)', () => {
  // Prepare
  const intake = fixedOnce();
  intake.receive(failed(FIRST, 'evt-repeat'));
  intake.receive(compliant('2026-11-20T08:30:00.000Z'));
  intake.receive({ ...failed(LATER), finding: { ...failed(LATER).finding, control: 'other-control' } });

  // Act
  const copy = new FindingIntake(
    JSON.parse(JSON.stringify(intake.summary())) as ReturnType<typeof intake.summary>,
  );

  // Assess: the same counters and queue, and the same decisions afterwards.
  expect(copy.summary()).toEqual(intake.summary());
  expect(copy.receive(failed(FIRST, 'evt-again')).disposition).toBe('repeat');
  expect(copy.receive(failed(LATER)).disposition).toBe('regression');
  expect(copy.next()?.finding.control).toBe('other-control');
});

it('keeps a redelivered failure a repeat when the only pass it is newer than came before that failure was taken', () => {
  // Prepare: COMPLIANT at 08:00, then the failure of 08:14 is taken (and, say, escalated: no fix recorded).
  const intake = new FindingIntake();
  intake.receive(compliant('2026-11-20T08:00:00.000Z'));
  expect(intake.receive(failed(FIRST)).disposition).toBe('queued');
  intake.next();

  // Act: EventBridge redelivers the 08:14 failure; a stale COMPLIANT from before it arrives late.
  const redelivered = intake.receive(failed(FIRST, 'evt-redelivered'));
  intake.receive(compliant('2026-11-20T08:10:00.000Z'));
  const again = intake.receive(failed(FIRST, 'evt-redelivered-twice'));

  // Assess: neither starts a second remediation.
  expect([redelivered.disposition, again.disposition]).toEqual(['repeat', 'repeat']);
});

it('keeps redeliveries of a regression in hand repeats', () => {
  // Prepare: fixed, broken again, and the regression taken (being handled, not queued).
  const intake = fixedOnce();
  expect(intake.receive(failed(LATER)).disposition).toBe('regression');
  intake.next();

  // Act
  const redelivered = intake.receive(failed(LATER, 'evt-later-again'));

  // Assess
  expect(redelivered.disposition).toBe('repeat');
  expect(intake.queued).toBe(0);
});

it('carries an unparseable evaluation time through the summary without failing', () => {
  // Prepare
  const intake = new FindingIntake();
  intake.receive(failed('not a time'));

  // Act
  const copy = new FindingIntake(
    JSON.parse(JSON.stringify(intake.summary())) as ReturnType<typeof intake.summary>,
  );

  // Assess: a repeat of it stays a repeat on both sides of the carry.
  expect(intake.receive(failed('not a time', 'evt-b')).disposition).toBe('repeat');
  expect(copy.receive(failed('not a time', 'evt-c')).disposition).toBe('repeat');
});
