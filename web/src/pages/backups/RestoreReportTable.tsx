// What a restore changes (a dry run) or changed, per table: rows added, changed, removed and left
// as they were, with the totals; only tables with a change, unless every one is unchanged.
import { Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { WideTable } from '../../components/WideTable.tsx';
import { useFormat } from '../../format/useFormat.ts';
import type { TableChange } from './labels.ts';

/** The report's table changes, when `report` is a restore report (a verification's is not). */
export function tableChangesOf(report: unknown): TableChange[] | null {
  const tables = (report as { tables?: unknown } | null)?.tables;
  if (!Array.isArray(tables)) return null;
  return tables.filter(
    (x): x is TableChange =>
      typeof x === 'object' && x !== null && typeof (x as TableChange).table === 'string',
  );
}

export function RestoreReportTable({ tables }: { tables: TableChange[] }) {
  const { t } = useTranslation();
  const f = useFormat();
  const changed = tables.filter((x) => x.added + x.changed + x.removed > 0);
  const sum = (k: 'added' | 'changed' | 'removed' | 'unchanged') => tables.reduce((n, x) => n + x[k], 0);
  if (changed.length === 0)
    return (
      <Text c="dimmed" data-testid="report-no-changes">
        {t('backups.restore.noChanges')}
      </Text>
    );
  return (
    <WideTable minWidth={560}>
      <Table highlightOnHover data-testid="restore-report">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('backups.restore.table')}</Table.Th>
            <Table.Th ta="right">{t('backups.restore.added')}</Table.Th>
            <Table.Th ta="right">{t('backups.restore.changed')}</Table.Th>
            <Table.Th ta="right">{t('backups.restore.removed')}</Table.Th>
            <Table.Th ta="right">{t('backups.restore.unchanged')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {changed.map((x) => (
            <Table.Tr key={x.table} data-table={x.table}>
              <Table.Td ff="monospace">{x.table}</Table.Td>
              <Table.Td ta="right" c={x.added ? 'green' : undefined} data-testid="added">
                {f.number(x.added)}
              </Table.Td>
              <Table.Td ta="right" c={x.changed ? 'yellow.8' : undefined} data-testid="changed">
                {f.number(x.changed)}
              </Table.Td>
              <Table.Td ta="right" c={x.removed ? 'red' : undefined} data-testid="removed">
                {f.number(x.removed)}
              </Table.Td>
              <Table.Td ta="right" c="dimmed">
                {f.number(x.unchanged)}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
        <Table.Tfoot>
          <Table.Tr fw={600}>
            <Table.Td>{t('backups.restore.total')}</Table.Td>
            <Table.Td ta="right">{f.number(sum('added'))}</Table.Td>
            <Table.Td ta="right">{f.number(sum('changed'))}</Table.Td>
            <Table.Td ta="right">{f.number(sum('removed'))}</Table.Td>
            <Table.Td ta="right">{f.number(sum('unchanged'))}</Table.Td>
          </Table.Tr>
        </Table.Tfoot>
      </Table>
    </WideTable>
  );
}
