// A byte count in the user's language, in the largest unit that keeps it at 1 or more. Steps of
// 1024, because plan limits are set in binary sizes (1 GB = 1073741824 bytes shows as "1 GB", as
// most operating systems show it); Intl has no binary units, so the usual kB/MB/GB names are used.
const UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte', 'petabyte'] as const;

export function formatBytes(bytes: number, locale: string): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: UNITS[unit],
    // "0 bytes" rather than "0 byte"; "1.5 GB" rather than "1.5 gigabytes".
    unitDisplay: unit === 0 ? 'long' : 'short',
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value);
}
