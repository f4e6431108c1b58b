// A severity as a coloured badge: alerts (info … critical) and threats (low … critical) share the
// colours of labels.ts; each page names the severity in its own words.
import { Badge } from '@mantine/core';
import type { ReactNode } from 'react';
import { SEVERITY_COLORS } from './labels.ts';

export function SeverityBadge({ severity, children }: { severity: string; children: ReactNode }) {
  return (
    <Badge color={SEVERITY_COLORS[severity] ?? 'gray'} variant="light" data-severity={severity}>
      {children}
    </Badge>
  );
}
