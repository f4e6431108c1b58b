// The building block of list pages: a heading with its actions and export, the filters, and
// ListTable (the problem if loading failed, "none" when the listing is empty, the table, and
// "load more" while the API has another page). A page gives its columns and its listing
// (usePagedQuery); the parts every list repeated are here once.
import { Button, Group, Stack, Table, type TableProps, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { usePagedQuery } from '../api/queries.ts';
import { ExportMenu } from './ExportMenu.tsx';
import { ProblemAlert } from './ProblemAlert.tsx';
import { WideTable } from './WideTable.tsx';

export type PagedList<T> = ReturnType<typeof usePagedQuery<T>>;

export interface Column<T> {
  header: ReactNode;
  cell: (row: T) => ReactNode;
  align?: 'left' | 'right';
  /** data-testid of this column's cells. */
  testId?: string;
}

export function ListTable<T extends { id: string }>(props: {
  list: PagedList<T>;
  columns: Column<T>[];
  /** Below which width the table scrolls sideways. */
  minWidth: number;
  /** Other problems to show above the table (a refused change of a row). */
  errors?: unknown[];
  tableProps?: TableProps;
  /** Shown instead of the table while the listing is empty (default: "None yet"). */
  empty?: ReactNode;
  /** Attributes of a row (e.g. `data-invoice` for tests and styles). */
  rowProps?: (row: T) => Record<`data-${string}`, string>;
}) {
  const { t } = useTranslation();
  const { list } = props;
  return (
    <Stack gap="sm">
      <ProblemAlert error={list.error} />
      {(props.errors ?? []).map((e, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list of slots
        <ProblemAlert key={i} error={e} />
      ))}
      {list.items.length === 0 && list.loaded ? (
        (props.empty ?? <Text c="dimmed">{t('common.empty')}</Text>)
      ) : (
        <WideTable minWidth={props.minWidth}>
          <Table highlightOnHover {...props.tableProps}>
            <Table.Thead>
              <Table.Tr>
                {props.columns.map((c, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: columns are fixed per page
                  <Table.Th key={i} ta={c.align}>
                    {c.header}
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.items.map((row) => (
                <Table.Tr key={row.id} {...props.rowProps?.(row)}>
                  {props.columns.map((c, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: columns are fixed per page
                    <Table.Td key={i} ta={c.align} data-testid={c.testId}>
                      {c.cell(row)}
                    </Table.Td>
                  ))}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </WideTable>
      )}
      <LoadMore list={list} />
    </Stack>
  );
}

/** "Load more" while the API has another page of the listing (a board shows it under its columns). */
export function LoadMore<T>({ list }: { list: PagedList<T> }) {
  const { t } = useTranslation();
  if (!list.more.hasMore) return null;
  return (
    <Button variant="default" onClick={() => void list.more.run()} loading={list.more.busy}>
      {t('common.loadMore')}
    </Button>
  );
}

/** A list page: heading, actions (beside the export), filters, then what `children` shows (a ListTable). */
export function ListPage(props: {
  title: ReactNode;
  actions?: ReactNode;
  /** The API's export of this listing, with the same filters. */
  exportPath?: string;
  exportQuery?: Record<string, string>;
  filters?: ReactNode;
  children: ReactNode;
}) {
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{props.title}</Title>
        <Group gap="xs">
          {props.exportPath && <ExportMenu path={props.exportPath} query={props.exportQuery} />}
          {props.actions}
        </Group>
      </Group>
      {props.filters && <Group>{props.filters}</Group>}
      {props.children}
    </Stack>
  );
}
