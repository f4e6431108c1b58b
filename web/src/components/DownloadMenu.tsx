// Export for lists the API has no export route for (small configuration lists: members, roles,
// departments, IP rules, API keys, sessions): the whole list is fetched (every page), then saved
// as CSV or JSON in the browser. CSV follows the server's exports: UTF-8 with BOM, CRLF, quoted
// fields, and cells a spreadsheet would run as formulas prefixed with '.
import { Button, Menu } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

export interface DownloadColumn<T> {
  header: string;
  value: (row: T) => unknown;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv<T>(rows: readonly T[], columns: readonly DownloadColumn<T>[]): string {
  const lines = [columns.map((c) => cell(c.header)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => cell(c.value(row))).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

function save(name: string, type: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function DownloadMenu<T>(props: {
  fileName: string;
  fetchAll: () => Promise<readonly T[]>;
  columns: readonly DownloadColumn<T>[];
}) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  const download = async (format: 'csv' | 'json') => {
    setBusy(true);
    try {
      const rows = await props.fetchAll();
      const stamp = new Date().toISOString().slice(0, 10);
      if (format === 'csv')
        save(`${props.fileName}-${stamp}.csv`, 'text/csv;charset=utf-8', toCsv(rows, props.columns));
      else
        save(
          `${props.fileName}-${stamp}.json`,
          'application/json',
          JSON.stringify(
            rows.map((r) => Object.fromEntries(props.columns.map((c) => [c.header, c.value(r) ?? null]))),
            null,
            2,
          ),
        );
    } finally {
      setBusy(false);
    }
  };
  return (
    <Menu position="bottom-end">
      <Menu.Target>
        <Button variant="default" size="xs" loading={busy}>
          {t('common.export')}
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Item onClick={() => void download('csv')}>{t('common.exportAs', { format: 'CSV' })}</Menu.Item>
        <Menu.Item onClick={() => void download('json')}>
          {t('common.exportAs', { format: 'JSON' })}
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
