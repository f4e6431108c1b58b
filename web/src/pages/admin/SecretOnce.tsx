// A secret the API returns only once (an invitation token, an API key): shown with a copy
// button and a warning that it cannot be shown again.
import { Alert, Button, Code, CopyButton, Group, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

export function SecretOnce(props: {
  title: string;
  help: string;
  secret: string;
  testId: string;
  onDone: () => void;
}) {
  const { t } = useTranslation();
  return (
    <Alert color="yellow" title={props.title} role="status">
      <Stack gap="xs">
        <Text size="sm">{props.help}</Text>
        <Code block data-testid={props.testId} style={{ wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}>
          {props.secret}
        </Code>
        <Group gap="xs">
          <CopyButton value={props.secret}>
            {({ copied, copy }) => (
              <Button size="xs" color={copied ? 'teal' : 'blue'} onClick={copy}>
                {copied ? t('common.copied') : t('common.copy')}
              </Button>
            )}
          </CopyButton>
          <Button size="xs" variant="default" onClick={props.onDone}>
            {t('admin.secret.stored')}
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}
