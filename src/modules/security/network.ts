// What a login's origin is made of: its network (an IPv4 /24 or IPv6 /48: one provider's
// neighbourhood, so a new DHCP lease is not "new"), and its device (browser family on OS family,
// from the User-Agent; versions are ignored so an update is not "new").
import { isIPv4, isIPv6 } from 'node:net';

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:1.2.3.4), else the address itself. */
export function unmapped(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}

/** The eight 16-bit groups of an IPv6 address (null if it is not one). */
export function ipv6Groups(ip: string): number[] | null {
  if (!isIPv6(ip)) return null;
  let text = ip.split('%')[0]!;
  // A trailing dotted IPv4 part becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -v4[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const h = head ? head.split(':').filter((x) => x !== '') : [];
  const t = tail ? tail.split(':').filter((x) => x !== '') : [];
  const fill = tail === null ? [] : new Array(8 - h.length - t.length).fill('0');
  const groups = [...h, ...fill, ...t].map((g) => Number.parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : null;
}

/** The address as a number (IPv4 and IPv6 in separate spaces: `v` tells which), or null. */
export function ipNumber(ip: string): { v: 4 | 6; n: bigint } | null {
  const a = unmapped(ip.trim());
  if (isIPv4(a)) {
    const n = a.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
    return { v: 4, n };
  }
  const groups = ipv6Groups(a);
  if (!groups) return null;
  return { v: 6, n: groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n) };
}

/** The network a login or an API call came from: `a.b.c.0/24` or `xxxx:xxxx:xxxx::/48`. */
export function networkOf(ip: string): string {
  const a = unmapped(ip.trim());
  if (isIPv4(a)) return `${a.split('.').slice(0, 3).join('.')}.0/24`;
  const groups = ipv6Groups(a);
  if (!groups) return a.slice(0, 100);
  return `${groups
    .slice(0, 3)
    .map((g) => g.toString(16))
    .join(':')}::/48`;
}

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bChrome\/|\bCriOS\/|\bChromium\//, 'Chrome'],
  [/\bSafari\//, 'Safari'],
  [/^curl\//i, 'curl'],
  [/\bPostmanRuntime\//, 'Postman'],
  [/^python-requests\//i, 'python-requests'],
  [/\bnode-fetch\b|^node\b|\bundici\b|^axios\//i, 'Node.js'],
];
const SYSTEMS: [RegExp, string][] = [
  [/\b(iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bLinux\b/, 'Linux'],
];

const UNRECOGNISED = new Set(['Unknown device', 'Other client']);

/**
 * Whether a device name says what the device is. Novelty is judged between recognised devices
 * only: a login with no or an unknown user agent sets no baseline and is never "a new device".
 */
export function isRecognisedDevice(device: string): boolean {
  return !UNRECOGNISED.has(device);
}

/** "Firefox on Linux", "Chrome on Android", "curl", or "Unknown device". */
export function deviceOf(userAgent: string | null | undefined): string {
  if (!userAgent) return 'Unknown device';
  const browser = BROWSERS.find(([re]) => re.test(userAgent))?.[1];
  const system = SYSTEMS.find(([re]) => re.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? 'Other client';
}
