// Axes of the charts (Mantine charts on recharts).
import type { Format } from '../format/format.ts';

/**
 * A money axis: short amounts ("US$ 1,2 mil") on an axis as wide as its longest label. The full
 * amounts ("US$ 1.200,00") overflowed recharts' fixed 60 px axis and were cut at the card's edge
 * in Spanish and Portuguese; the tooltip still shows them in full.
 */
export function moneyAxis(f: Format, currency: string) {
  return {
    width: 'auto' as const,
    tickFormatter: (major: number) => f.moneyCompact(major, currency),
    // Mantine moves the labels 10 px left with a transform, which recharts does not measure: the
    // same gap as a tick margin is counted in the axis width.
    tick: { fontSize: 12, fill: 'currentColor' },
    tickMargin: 10,
  };
}
