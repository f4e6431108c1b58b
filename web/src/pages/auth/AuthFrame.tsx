// The frame of the sign-in and sign-up pages.
import { Center, Group, Paper, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguageSelect } from '../../components/LanguageSelect.tsx';

export function AuthFrame({ title, children }: { title: string; children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <Center mih="100vh" p="md">
      <Stack w="100%" maw={440}>
        <Group justify="space-between">
          <Title order={2}>{t('app.name')}</Title>
          <LanguageSelect />
        </Group>
        <Text c="dimmed" size="sm">
          {t('app.tagline')}
        </Text>
        <Paper withBorder shadow="sm" p="lg">
          <Title order={3} mb="md">
            {title}
          </Title>
          {children}
        </Paper>
      </Stack>
    </Center>
  );
}
