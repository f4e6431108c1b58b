// IPv4/IPv6 address and CIDR matching (ipaddr.js does the parsing).
import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Canonical form of an address; IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes plain IPv4. */
function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const addr = ipaddr.parse(text);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (addr as ipaddr.IPv6).toIPv4Address();
  }
  return addr;
}

function parseRange(text: string): Range {
  if (text.includes('/')) {
    const [addr, bits] = ipaddr.parseCIDR(text);
    return [addr, bits];
  }
  const addr = parseAddress(text);
  return [addr, addr.kind() === 'ipv4' ? 32 : 128];
}

export function isCidrOrIp(text: string): boolean {
  try {
    parseRange(text);
    return true;
  } catch {
    return false;
  }
}

export function isIpAddress(text: string): boolean {
  return ipaddr.isValid(text);
}

/** Normalises a CIDR ("10.1.2.3/8" → "10.0.0.0/8", a bare IP → "/32" or "/128"). Throws on bad input. */
export function normaliseCidr(text: string): string {
  const [addr, bits] = parseRange(text.trim());
  if (addr.kind() === 'ipv4') {
    return `${ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`).toString()}/${bits}`;
  }
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${bits}`).toString()}/${bits}`;
}

/** A precompiled set of ranges; `has(ip)` answers whether the address falls in any of them. */
export class IpRangeSet {
  private readonly ranges: Range[];
  constructor(cidrs: readonly string[]) {
    this.ranges = cidrs.map(parseRange);
  }
  get size(): number {
    return this.ranges.length;
  }
  has(ip: string): boolean {
    let addr: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      addr = parseAddress(ip);
    } catch {
      return false;
    }
    for (const [net, bits] of this.ranges) {
      if (net.kind() === addr.kind() && addr.match([net, bits] as never)) return true;
    }
    return false;
  }
}
