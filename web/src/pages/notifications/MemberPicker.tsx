// Chosen members for a send: a member search (RemoteSelect over the organization's members) that
// adds each pick to the list shown below it, each with a button to take it off again.
import { Group, Pill, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { memberOptions, type Option, RemoteSelect } from '../../components/RemoteSelect.tsx';

export function MemberPicker(props: {
  chosen: Option[];
  onChange: (chosen: Option[]) => void;
  error?: string;
}) {
  const { t } = useTranslation();
  const { chosen, onChange } = props;
  return (
    <Stack gap={6}>
      <RemoteSelect
        // A new picker after each pick: its search box starts empty again.
        key={chosen.length}
        source={memberOptions}
        label={t('notifications.send.addMember')}
        placeholder={t('common.search')}
        value={null}
        onChange={(_, option) => {
          if (option && !chosen.some((c) => c.value === option.value)) onChange([...chosen, option]);
        }}
        error={props.error}
      />
      {chosen.length === 0 ? (
        <Text size="xs" c="dimmed">
          {t('notifications.send.noMembers')}
        </Text>
      ) : (
        <Group gap={6} data-testid="chosen-members">
          {chosen.map((m) => (
            <Pill
              key={m.value}
              withRemoveButton
              onRemove={() => onChange(chosen.filter((c) => c.value !== m.value))}
              removeButtonProps={{ 'aria-label': t('notifications.send.removeMember', { name: m.label }) }}
            >
              {m.label}
            </Pill>
          ))}
        </Group>
      )}
    </Stack>
  );
}
