// One figure on a card: its label, the value, and an optional line under it.
import { Card, Text } from '@mantine/core';

export function Kpi({
  label,
  value,
  hint,
  testId,
  color,
}: {
  label: string;
  value: string;
  hint?: string;
  testId: string;
  color?: string;
}) {
  return (
    <Card withBorder>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text
        fw={700}
        fz={{ base: 'md', sm: 'lg' }}
        c={color}
        style={{ overflowWrap: 'anywhere' }}
        data-testid={testId}
      >
        {value.replace(/[\u00a0\u202f]/g, ' ')}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </Card>
  );
}
