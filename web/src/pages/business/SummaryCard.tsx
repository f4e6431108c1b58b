// One headline number of a business page (MRR, outstanding, pipeline value…), with a test id
// so tests and screen readers find it by name.
import { Card, Text } from '@mantine/core';

export function SummaryCard(props: { label: string; value: string; hint?: string; testId: string }) {
  return (
    <Card withBorder padding="sm">
      <Text size="xs" c="dimmed">
        {props.label}
      </Text>
      <Text fw={700} size="lg" data-testid={props.testId}>
        {props.value}
      </Text>
      {props.hint && (
        <Text size="xs" c="dimmed">
          {props.hint}
        </Text>
      )}
    </Card>
  );
}
