// A chart with nothing to draw (no points, or every value zero) says so in a sentence at the
// chart's height, instead of showing an empty grid or a ring of one colour.
import { Center, Text } from '@mantine/core';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';

/** Whether any row has a non-zero number under one of `keys` (the chart's series). */
export function hasValues(data: readonly object[], keys: readonly string[]): boolean {
  return data.some((row) =>
    keys.some((k) => {
      const v = (row as Record<string, unknown>)[k];
      return typeof v === 'number' && v !== 0;
    }),
  );
}

/** The sentence in place of a chart, at the chart's height so the page does not jump. */
export function EmptyChart({ h, message }: { h: number; message?: string }) {
  const { t } = useTranslation();
  return (
    <Center h={h} data-chart-empty>
      <Text c="dimmed" size="sm" ta="center">
        {message ?? t('common.chartEmpty')}
      </Text>
    </Center>
  );
}

interface ChartProps {
  data: readonly object[];
  series: readonly { name: string }[];
  h?: number | string;
}

/** One Mantine chart (BarChart, LineChart, AreaChart…), or the empty state when its series are all zero. */
export function ChartOrEmpty({
  children,
  message,
}: {
  children: ReactElement<ChartProps>;
  message?: string;
}) {
  const { data, series, h } = children.props;
  const keys = series.map((s) => s.name);
  if (hasValues(data, keys)) return children;
  return <EmptyChart h={typeof h === 'number' ? h : 200} message={message} />;
}
