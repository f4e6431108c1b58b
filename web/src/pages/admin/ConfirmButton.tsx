// A destructive action behind a confirmation dialog; the API's refusal is shown in the dialog.
import { Button, type ButtonProps, Group, Modal, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';

export function ConfirmButton(
  props: {
    label: string;
    /** The accessible name of the button, when the label alone is ambiguous in a list. */
    ariaLabel?: string;
    title: string;
    message: string;
    confirmLabel: string;
    onConfirm: () => Promise<void>;
  } & Pick<ButtonProps, 'size' | 'variant' | 'color'>,
) {
  const { t } = useTranslation();
  const [opened, setOpened] = useState(false);
  const submit = useSubmit(async () => {
    await props.onConfirm();
    setOpened(false);
  });
  return (
    <>
      <Button
        size={props.size ?? 'xs'}
        variant={props.variant ?? 'light'}
        color={props.color ?? 'red'}
        aria-label={props.ariaLabel}
        onClick={() => {
          submit.clear();
          setOpened(true);
        }}
      >
        {props.label}
      </Button>
      <Modal opened={opened} onClose={() => setOpened(false)} title={props.title}>
        <Stack>
          <Text size="sm">{props.message}</Text>
          <ProblemAlert error={submit.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpened(false)}>
              {t('common.cancel')}
            </Button>
            <Button color="red" loading={submit.busy} onClick={() => void submit.run()} data-autofocus>
              {props.confirmLabel}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
