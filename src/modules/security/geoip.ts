// IP-to-location lookups from a local CSV (GEOIP_DB_PATH), for the country of a login and
// impossible travel. BUL downloads nothing: the operator exports a database (e.g. from a GeoLite2
// or IP2Location LITE CSV) into this format, one range per line, optional header line:
//   start_ip,end_ip,country,latitude,longitude
//   1.0.0.0,1.0.0.255,AU,-33.494,143.2104
//   2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,NL,52.37,4.89
// Ranges are inclusive, IPv4 and IPv6 alike; country is ISO 3166-1 alpha-2 (or empty); latitude
// and longitude in decimal degrees (or empty: country only). Loaded once, into sorted arrays.
import { readFileSync } from 'node:fs';
import { ipNumber } from './network.ts';

export interface GeoLocation {
  country: string | null;
  latitude: number | null;
  longitude: number | null;
}

interface Range extends GeoLocation {
  start: bigint;
  end: bigint;
}

export class GeoIpDatabase {
  private readonly v4: Range[];
  private readonly v6: Range[];

  constructor(ranges: { v: 4 | 6; range: Range }[]) {
    const sorted = (v: 4 | 6) =>
      ranges
        .filter((r) => r.v === v)
        .map((r) => r.range)
        .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    this.v4 = sorted(4);
    this.v6 = sorted(6);
  }

  get size(): number {
    return this.v4.length + this.v6.length;
  }

  /** Parses the CSV text; throws naming the first bad line. */
  static parse(text: string): GeoIpDatabase {
    const ranges: { v: 4 | 6; range: Range }[] = [];
    const lines = text.split(/\r?\n/);
    lines.forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || (i === 0 && /^start_ip\s*,/i.test(line))) return;
      const cells = line.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
      const start = ipNumber(cells[0] ?? '');
      const end = ipNumber(cells[1] ?? '');
      if (!start || !end || start.v !== end.v || end.n < start.n)
        throw new Error(`GEOIP_DB_PATH line ${i + 1}: start_ip and end_ip must be one family, start <= end`);
      const num = (c: string | undefined) => {
        if (c === undefined || c === '') return null;
        const n = Number(c);
        if (!Number.isFinite(n)) throw new Error(`GEOIP_DB_PATH line ${i + 1}: "${c}" is not a number`);
        return n;
      };
      const country = cells[2] ? cells[2].toUpperCase().slice(0, 8) : null;
      ranges.push({
        v: start.v,
        range: { start: start.n, end: end.n, country, latitude: num(cells[3]), longitude: num(cells[4]) },
      });
    });
    return new GeoIpDatabase(ranges);
  }

  static load(path: string): GeoIpDatabase {
    return GeoIpDatabase.parse(readFileSync(path, 'utf8'));
  }

  lookup(ip: string): GeoLocation | null {
    const a = ipNumber(ip);
    if (!a) return null;
    const list = a.v === 4 ? this.v4 : this.v6;
    // The last range starting at or before the address.
    let lo = 0;
    let hi = list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.start <= a.n) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const r = found >= 0 ? list[found]! : null;
    if (!r || a.n > r.end) return null;
    return { country: r.country, latitude: r.latitude, longitude: r.longitude };
  }
}

/** Great-circle distance in km (haversine, mean Earth radius 6371 km). */
export function distanceKm(
  a: { latitude: number; longitude: number },
  b: { latitude: number; longitude: number },
) {
  const rad = (d: number) => (d * Math.PI) / 180;
  const dLat = rad(b.latitude - a.latitude);
  const dLon = rad(b.longitude - a.longitude);
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}
