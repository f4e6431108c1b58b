// The notice of an edit form whose record someone else changed or deleted since it was opened
// (useStaleNotice): what happened, and for a change a button that loads the latest values
// (replacing what was typed: the form is reset on them by its owner).
import { Alert, Button, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { StaleSubject } from './staleRule.ts';
import type { useStaleNotice } from './useStaleNotice.ts';

export function StaleNotice<T extends { version: number }>(props: {
  subject: StaleSubject;
  stale: ReturnType<typeof useStaleNotice<T>>;
  onLoadLatest: (latest: T) => void;
}) {
  const { t } = useTranslation();
  const { state, dismiss } = props.stale;
  if (!state) return null;
  const thing = t(`realtime.things.${props.subject}`);
  if (state.kind === 'deleted')
    return (
      <Alert color="red" title={t('realtime.deletedTitle')} role="alert" data-testid="stale-notice">
        {t('realtime.deleted', { thing })}
      </Alert>
    );
  return (
    <Alert color="yellow" title={t('realtime.changedTitle')} role="alert" data-testid="stale-notice">
      <Stack gap="xs" align="flex-start">
        <Text size="sm">
          {t('realtime.changed', { thing })} {t('realtime.loadLatestHint')}
        </Text>
        <Button
          size="xs"
          variant="light"
          onClick={() => {
            dismiss();
            props.onLoadLatest(state.latest);
          }}
        >
          {t('realtime.loadLatest')}
        </Button>
      </Stack>
    </Alert>
  );
}
