import {
  blockedPortsFor,
  DEFAULT_BLOCKED_PORTS,
  planPortClosure,
  subtractPorts,
} from '../../src/domain/security-group-rules';
import type { IngressPiece } from '../../src/domain/security-group-rules';

const tcp = (fromPort: number, toPort: number, cidr = '0.0.0.0/0', description?: string): IngressPiece => ({
  protocol: 'tcp',
  fromPort,
  toPort,
  ...(cidr.includes(':') ? { cidrIpv6: cidr } : { cidrIpv4: cidr }),
  ...(description ? { description } : {}),
});

describe('subtractPorts', () => {
  it.each([
    [22, 22, [22], []],
    [
      0,
      65535,
      [22],
      [
        [0, 21],
        [23, 65535],
      ],
    ],
    [20, 25, [20, 21], [[22, 25]]],
    [
      1,
      5000,
      [3389, 20, 21, 3306, 4333],
      [
        [1, 19],
        [22, 3305],
        [3307, 3388],
        [3390, 4332],
        [4334, 5000],
      ],
    ],
    [80, 443, [22], [[80, 443]]],
  ])('%i-%i minus %j', (from, to, ports, expected) => {
    expect(subtractPorts(from, to, ports)).toEqual(expected);
  });
});

describe('planPortClosure', () => {
  it('revokes a world-open SSH rule on IPv4 and IPv6', () => {
    const plan = planPortClosure([tcp(22, 22), tcp(22, 22, '::/0')], [22]);
    expect(plan.revoke).toEqual([tcp(22, 22), tcp(22, 22, '::/0')]);
    expect(plan.add).toEqual([]);
  });

  it('keeps other CIDRs on the same port', () => {
    const plan = planPortClosure([tcp(22, 22, '10.0.0.0/8'), tcp(22, 22)], [22]);
    expect(plan.revoke).toEqual([tcp(22, 22)]);
  });

  it('splits a wide range so only the blocked ports close, keeping the description', () => {
    const plan = planPortClosure([tcp(0, 1024, '0.0.0.0/0', 'legacy')], [22]);
    expect(plan.revoke).toEqual([tcp(0, 1024, '0.0.0.0/0', 'legacy')]);
    expect(plan.add).toEqual([tcp(0, 21, '0.0.0.0/0', 'legacy'), tcp(23, 1024, '0.0.0.0/0', 'legacy')]);
  });

  it('leaves world-open rules that do not cover a blocked port, and UDP', () => {
    const udp: IngressPiece = { protocol: 'udp', fromPort: 0, toPort: 65535, cidrIpv4: '0.0.0.0/0' };
    expect(planPortClosure([tcp(443, 443), udp], [22])).toEqual({ revoke: [], add: [], needsApproval: [] });
  });

  it('replaces a world-open all-protocol rule by TCP without the blocked ports, UDP and ICMP, for approval', () => {
    const all: IngressPiece = {
      protocol: '-1',
      fromPort: -1,
      toPort: -1,
      cidrIpv4: '0.0.0.0/0',
      description: 'x',
    };
    const all6: IngressPiece = { protocol: '-1', fromPort: -1, toPort: -1, cidrIpv6: '::/0' };
    const plan = planPortClosure([all, all6], [22, 3389]);
    expect(plan.needsApproval).toEqual([all, all6]);
    expect(plan.revoke).toEqual([all, all6]);
    expect(plan.add).toEqual([
      tcp(0, 21, '0.0.0.0/0', 'x'),
      tcp(23, 3388, '0.0.0.0/0', 'x'),
      tcp(3390, 65535, '0.0.0.0/0', 'x'),
      { protocol: 'udp', fromPort: 0, toPort: 65535, cidrIpv4: '0.0.0.0/0', description: 'x' },
      { protocol: 'icmp', fromPort: -1, toPort: -1, cidrIpv4: '0.0.0.0/0', description: 'x' },
      { protocol: 'tcp', fromPort: 0, toPort: 21, cidrIpv6: '::/0' },
      { protocol: 'tcp', fromPort: 23, toPort: 3388, cidrIpv6: '::/0' },
      { protocol: 'tcp', fromPort: 3390, toPort: 65535, cidrIpv6: '::/0' },
      { protocol: 'udp', fromPort: 0, toPort: 65535, cidrIpv6: '::/0' },
      { protocol: '58', fromPort: -1, toPort: -1, cidrIpv6: '::/0' },
    ]);
  });

  it('does not add a remainder that already exists', () => {
    const plan = planPortClosure([tcp(20, 23), tcp(23, 23)], [20, 21, 22]);
    expect(plan.add).toEqual([]);
  });
});

describe('blockedPortsFor', () => {
  it('is 22 for restricted-ssh', () => {
    expect(blockedPortsFor('restricted-ssh', {})).toEqual([22]);
  });
  it('reads blockedPortN parameters of restricted-common-ports, else the defaults', () => {
    expect(
      blockedPortsFor('restricted-common-ports', {
        'param.blockedPort1': '5432',
        'param.blockedPort2': '3389',
      }),
    ).toEqual([3389, 5432]);
    expect(blockedPortsFor('restricted-common-ports', {})).toEqual(DEFAULT_BLOCKED_PORTS);
  });
});
