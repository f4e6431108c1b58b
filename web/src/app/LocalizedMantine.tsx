// Mantine with the app's theme, and a name in the user's language for the icon-only button Mantine
// draws itself: the close button of every dialog, alert and notification (a screen reader
// announced it as just "button"). An input's clear button is hidden from screen readers already.
import { createTheme, MantineProvider } from '@mantine/core';
import { type ReactNode, useMemo } from 'react';
import { useTranslation } from 'react-i18next';

export function LocalizedMantine({ children }: { children: ReactNode }) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage;
  // biome-ignore lint/correctness/useExhaustiveDependencies: rebuilt when the language changes
  const theme = useMemo(
    () =>
      createTheme({
        primaryColor: 'indigo',
        defaultRadius: 'md',
        components: {
          // Typed props of CloseButton leave out aria-label, which its button passes on.
          CloseButton: { defaultProps: { 'aria-label': t('common.close') } },
        },
      }),
    [t, language],
  );
  return (
    <MantineProvider theme={theme} defaultColorScheme="light">
      {children}
    </MantineProvider>
  );
}
