/**
 * The allow-all group's rules: only the ranges a group lacks are authorized, because EC2 refuses a whole authorize
 * when one of its rules exists already (a new group's default IPv4 egress), which left IPv6 egress out before.
 */
import {
  allowsEverything,
  missingEverything,
} from '../../src/playbooks/ec2-isolate-instance/isolation-groups';

it('asks for both ranges on an empty rule list, only IPv6 beside the default IPv4 egress, nothing when both are there', () => {
  const v4 = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] };
  const v6 = { IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] };
  expect(missingEverything([])).toEqual({ ...v4, ...v6 });
  expect(missingEverything([v4])).toEqual(v6);
  expect(missingEverything([v6])).toEqual(v4);
  expect(missingEverything([v4, v6])).toBeUndefined();
  expect(allowsEverything([{ ...v4, ...v6 }])).toBe(true);
  // A port-limited rule to everywhere is not "everything".
  expect(allowsEverything([{ ...v4, ...v6, IpProtocol: 'tcp', FromPort: 0, ToPort: 65535 }])).toBe(false);
});
