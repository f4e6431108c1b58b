// Every list can be exported: links to the API's streamed export with the list's filters.
import { Button, Menu } from '@mantine/core';
import { useTranslation } from 'react-i18next';

const FORMATS = ['csv', 'xlsx', 'json'] as const;

export function ExportMenu({ path, query = {} }: { path: string; query?: Record<string, string> }) {
  const { t } = useTranslation();
  return (
    <Menu position="bottom-end">
      <Menu.Target>
        <Button variant="default">{t('common.export')}</Button>
      </Menu.Target>
      <Menu.Dropdown>
        {FORMATS.map((format) => (
          <Menu.Item
            key={format}
            component="a"
            href={`${path}?${new URLSearchParams({ ...query, format }).toString()}`}
            download
          >
            {t('common.exportAs', { format: format.toUpperCase() })}
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}
