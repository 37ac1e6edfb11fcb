/**
 * Header filtering for the local HTTP proxies in front of moto (the benchmark's counting proxy, the tests' fault
 * proxy). Hop-by-hop headers are not forwarded (RFC 9110 §7.6.1): moto's server answers `Connection: close`, which
 * relayed would make every client of a proxy open a new TCP connection per call, a cost real AWS endpoints do not
 * impose. `expect` goes too: a proxy that has the whole body has nothing to continue.
 */
import type { IncomingHttpHeaders } from 'node:http';

const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'expect',
]);

/** The headers a proxy forwards: all but the hop-by-hop ones. */
export function endToEndHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())));
}
