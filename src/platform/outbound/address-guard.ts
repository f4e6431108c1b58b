// Where BUL may send a webhook (SSRF): only to public unicast addresses, unless the installation
// allows private ones (WEBHOOK_ALLOW_PRIVATE, for tests and closed networks). The check runs when
// an endpoint is registered and again inside the connection's DNS lookup at delivery time, so the
// socket connects to the very address that was checked (a name re-pointed to 127.0.0.1 after
// registration, DNS rebinding, is refused too).
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Raised when a host is or resolves to an address BUL must not call. */
export class BlockedAddressError extends Error {
  readonly code = 'EBLOCKEDADDRESS';
  readonly host: string;
  readonly address: string;
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, which is not a public address`);
    this.name = 'BlockedAddressError';
    this.host = host;
    this.address = address;
  }
}

/**
 * True for a public unicast address. ipaddr.js names every special-purpose range (loopback,
 * private, linkLocal (169.254.169.254 included), unspecified (0.0.0.0, ::), carrierGradeNat,
 * uniqueLocal, multicast, reserved, 6to4/teredo/rfc6052 that embed IPv4...); only 'unicast' is
 * the public internet. IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as the IPv4 it carries.
 */
export function isPublicAddress(text: string): boolean {
  if (!ipaddr.isValid(text)) return false;
  let addr = ipaddr.parse(text);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  if (addr.range() !== 'unicast') return false;
  // 0.0.0.0/8 ("this network") is 'unspecified' only for 0.0.0.0 itself in some versions.
  if (addr.kind() === 'ipv4' && (addr as ipaddr.IPv4).octets[0] === 0) return false;
  return true;
}

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * Resolves a host to every address it has and returns them, or throws BlockedAddressError for the
 * first one that is not public (when private addresses are not allowed). DNS failures propagate.
 */
export async function resolveChecked(host: string, allowPrivate: boolean): Promise<dns.LookupAddress[]> {
  const addresses = ipaddr.isValid(host)
    ? [{ address: host, family: host.includes(':') ? 6 : 4 }]
    : await dns.promises.lookup(host, { all: true, verbatim: true });
  if (!allowPrivate) {
    const bad = addresses.find((a) => !isPublicAddress(a.address));
    if (bad) throw new BlockedAddressError(host, bad.address);
  }
  return addresses;
}

/** A `lookup` for node:net/http/tls that connects only to checked addresses. */
export function checkedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    resolveChecked(hostname, allowPrivate).then(
      (addresses) => {
        if (options.all) callback(null, addresses);
        else {
          const first =
            addresses.find((a) => !options.family || a.family === options.family) ?? addresses[0]!;
          callback(null, first.address, first.family);
        }
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}
