import { runStatus } from '../../src/domain/remediation';

describe('runStatus', () => {
  it('is NO_ACTION for a run without outcomes', () => {
    expect(runStatus([])).toBe('NO_ACTION');
  });
  it('reports a remediation even when a later finding needed no action', () => {
    expect(runStatus([{ status: 'REMEDIATED' }, { status: 'NO_ACTION' }])).toBe('REMEDIATED');
  });
  it('reports any escalation', () => {
    expect(runStatus([{ status: 'ESCALATED' }, { status: 'REMEDIATED' }])).toBe('ESCALATED');
  });
});
