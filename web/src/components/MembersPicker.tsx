// Chosen members (by name), each removable, and a search to add another: the "users" recipients of
// notification rules and alert rules.
import { ActionIcon, Badge, Group, Stack } from '@mantine/core';
import { memberOptions, RemoteSelect, useNames } from './RemoteSelect.tsx';

export function MembersPicker(props: {
  value: string[];
  onChange: (ids: string[]) => void;
  error?: string;
  /** The search's label. */
  addLabel: string;
  /** The remove button's label for a member. */
  removeLabel: (name: string) => string;
}) {
  const name = useNames(memberOptions, props.value);
  return (
    <Stack gap={4}>
      <Group gap={4}>
        {props.value.map((id) => (
          <Badge
            key={id}
            variant="light"
            tt="none"
            rightSection={
              <ActionIcon
                size="xs"
                variant="transparent"
                aria-label={props.removeLabel(name(id) ?? id)}
                onClick={() => props.onChange(props.value.filter((x) => x !== id))}
              >
                ×
              </ActionIcon>
            }
          >
            {name(id) ?? '…'}
          </Badge>
        ))}
      </Group>
      <RemoteSelect
        source={memberOptions}
        label={props.addLabel}
        value={null}
        onChange={(v) => v && !props.value.includes(v) && props.onChange([...props.value, v])}
        error={props.error}
      />
    </Stack>
  );
}
