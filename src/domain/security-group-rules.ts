/**
 * Pure security-group arithmetic for the "close world-open admin ports" playbook: which ingress pieces are open to the
 * world on a blocked port, and which narrower pieces re-open everything else the wide rule allowed.
 */

/** One ingress rule narrowed to a single CIDR: the unit AWS authorises and revokes. */
export interface IngressPiece {
  /** `tcp`, `udp`, `icmp`, `-1` (all) or a protocol number, as EC2 reports it. */
  readonly protocol: string;
  /** Port range; `-1` for all-protocol and ICMP rules. */
  readonly fromPort: number;
  readonly toPort: number;
  /** Exactly one of the two is set. */
  readonly cidrIpv4?: string;
  readonly cidrIpv6?: string;
  readonly description?: string;
}

/** The changes that close the blocked ports and keep the rest. */
export interface PortClosurePlan {
  /** World-open pieces covering a blocked port (TCP only; all-protocol rules are in `needsApproval`). */
  readonly revoke: readonly IngressPiece[];
  /** Narrower pieces re-opening the non-blocked ports of each revoked piece. */
  readonly add: readonly IngressPiece[];
  /**
   * World-open all-protocol pieces (also in `revoke`, replaced in `add` by TCP without the blocked ports, all UDP and
   * all ICMP): every other IP protocol loses its world-open access, so a person must approve.
   */
  readonly needsApproval: readonly IngressPiece[];
}

/** Default blocked ports of `restricted-common-ports` (AWS's defaults for the managed rule). */
export const DEFAULT_BLOCKED_PORTS: readonly number[] = [20, 21, 3389, 3306, 4333];

/** The world-open CIDRs. */
export function isWorldOpen(piece: IngressPiece): boolean {
  return piece.cidrIpv4 === '0.0.0.0/0' || piece.cidrIpv6 === '::/0';
}

function isTcp(protocol: string): boolean {
  return protocol === 'tcp' || protocol === '6';
}

function isAllProtocols(protocol: string): boolean {
  return protocol === '-1' || protocol === 'all';
}

/** Blocked ports inside a piece's range (all of them for all-protocol pieces). */
export function blockedPortsIn(piece: IngressPiece, blocked: readonly number[]): number[] {
  if (isAllProtocols(piece.protocol)) return [...blocked];
  if (!isTcp(piece.protocol)) return [];
  return blocked.filter((port) => port >= piece.fromPort && port <= piece.toPort);
}

/** `[from, to]` without the given ports, as sorted contiguous ranges. */
export function subtractPorts(from: number, to: number, ports: readonly number[]): Array<[number, number]> {
  const cut = [...new Set(ports)].filter((p) => p >= from && p <= to).sort((a, b) => a - b);
  const ranges: Array<[number, number]> = [];
  let start = from;
  for (const port of cut) {
    if (port > start) ranges.push([start, port - 1]);
    start = port + 1;
  }
  if (start <= to) ranges.push([start, to]);
  return ranges;
}

/** What to revoke and add so no world-open TCP piece covers a blocked port, keeping everything else open. */
export function planPortClosure(
  pieces: readonly IngressPiece[],
  blocked: readonly number[],
): PortClosurePlan {
  const revoke: IngressPiece[] = [];
  const add: IngressPiece[] = [];
  const needsApproval: IngressPiece[] = [];
  for (const piece of pieces) {
    if (!isWorldOpen(piece)) continue;
    const hit = blockedPortsIn(piece, blocked);
    if (hit.length === 0) continue;
    revoke.push(piece);
    if (isAllProtocols(piece.protocol)) {
      needsApproval.push(piece);
      add.push(...allProtocolRemainder(piece, hit));
      continue;
    }
    for (const [fromPort, toPort] of subtractPorts(piece.fromPort, piece.toPort, hit)) {
      add.push({ ...piece, fromPort, toPort });
    }
  }
  // A remainder that already exists as its own rule needs no second copy.
  const existing = new Set(pieces.map(pieceKey));
  return { revoke, add: add.filter((p) => !existing.has(pieceKey(p))), needsApproval };
}

/**
 * What of an all-protocol piece can stay open in rules EC2 can express: TCP without the blocked ports, all UDP, and all
 * ICMP (ICMPv6, protocol 58, for an IPv6 range). Other IP protocols (GRE, ESP, …) are not re-opened.
 */
function allProtocolRemainder(piece: IngressPiece, blocked: readonly number[]): IngressPiece[] {
  const where = {
    ...(piece.cidrIpv4 ? { cidrIpv4: piece.cidrIpv4 } : {}),
    ...(piece.cidrIpv6 ? { cidrIpv6: piece.cidrIpv6 } : {}),
    ...(piece.description ? { description: piece.description } : {}),
  };
  return [
    ...subtractPorts(0, 65535, blocked).map(([fromPort, toPort]) => ({
      ...where,
      protocol: 'tcp',
      fromPort,
      toPort,
    })),
    { ...where, protocol: 'udp', fromPort: 0, toPort: 65535 },
    { ...where, protocol: piece.cidrIpv6 ? '58' : 'icmp', fromPort: -1, toPort: -1 },
  ];
}

/** Identity of a piece (descriptions are not part of it, as in EC2). */
export function pieceKey(piece: IngressPiece): string {
  return `${piece.protocol}|${piece.fromPort}|${piece.toPort}|${piece.cidrIpv4 ?? ''}|${piece.cidrIpv6 ?? ''}`;
}

/** Readable form for plans and notifications: `tcp 0-65535 from 0.0.0.0/0`. */
export function describePiece(piece: IngressPiece): string {
  const ports = isAllProtocols(piece.protocol)
    ? 'all traffic'
    : piece.fromPort === piece.toPort
      ? `${piece.protocol} ${piece.fromPort}`
      : `${piece.protocol} ${piece.fromPort}-${piece.toPort}`;
  return `${ports} from ${piece.cidrIpv4 ?? piece.cidrIpv6 ?? '?'}`;
}

/** Blocked ports of a finding: 22 for `restricted-ssh`; the rule's `blockedPortN` parameters, else the defaults. */
export function blockedPortsFor(managedControl: string, details: Readonly<Record<string, string>>): number[] {
  if (managedControl === 'restricted-ssh') return [22];
  const fromParams = Object.entries(details)
    .filter(([key]) => /^param\.blockedPort\d+$/.test(key))
    .map(([, value]) => Number(value))
    .filter((port) => Number.isInteger(port) && port >= 0 && port <= 65535);
  return fromParams.length > 0 ? [...new Set(fromParams)].sort((a, b) => a - b) : [...DEFAULT_BLOCKED_PORTS];
}
