// A board with one column per status; cards move by drag (pointer or touch) or by keyboard
// (focus a card, space to lift, arrows to choose a column, space to drop). The parent decides
// whether a move is allowed: the API enforces the transition rules and the parent explains a refusal.
// A screen reader hears how to move a card and where it goes in the user's language, by the card's
// label and the column's name (dnd-kit's own texts are English and read out ids).
import {
  type Announcements,
  DndContext,
  type DragEndEvent,
  type KeyboardCoordinateGetter,
  KeyboardSensor,
  PointerSensor,
  TouchSensor,
  useDraggable,
  useDroppable,
  useSensor,
  useSensors,
} from '@dnd-kit/core';
import { Badge, Flex, Group, Paper, Stack, Text } from '@mantine/core';
import { type ReactNode, useMemo } from 'react';
import { useTranslation } from 'react-i18next';

interface Item<S extends string> {
  id: string;
  status: S;
}

interface StatusBoardProps<S extends string, T extends Item<S>> {
  label: string;
  columns: readonly S[];
  items: readonly T[];
  columnLabel: (status: S) => string;
  renderCard: (item: T) => ReactNode;
  cardLabel: (item: T) => string;
  onMove: (item: T, to: S) => void;
}

const KEY_STEPS: Record<string, number> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };

/** Keyboard moves jump a whole column at a time (dnd-kit's default moves 25 px per key). */
function columnByColumn(columns: readonly string[]): KeyboardCoordinateGetter {
  return (event, { context, currentCoordinates }) => {
    const step = KEY_STEPS[event.code];
    if (!step) return undefined;
    event.preventDefault();
    const from = String(context.over?.id ?? context.active?.data.current?.status ?? '');
    const next = columns[columns.indexOf(from) + step];
    const rect = next ? context.droppableRects.get(next) : undefined;
    return rect ? { x: rect.left + 8, y: rect.top + 40 } : currentCoordinates;
  };
}

export function StatusBoard<S extends string, T extends Item<S>>(props: StatusBoardProps<S, T>) {
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 6 } }),
    useSensor(TouchSensor, { activationConstraint: { delay: 200, tolerance: 8 } }),
    useSensor(KeyboardSensor, { coordinateGetter: columnByColumn(props.columns) }),
  );
  const onDragEnd = (event: DragEndEvent) => {
    const to = event.over?.id as S | undefined;
    const item = props.items.find((i) => i.id === event.active.id);
    if (item && to && to !== item.status) props.onMove(item, to);
  };
  const accessibility = useBoardAccessibility(props);
  return (
    <DndContext sensors={sensors} onDragEnd={onDragEnd} accessibility={accessibility}>
      {/* Side by side on wide screens; stacked on phones, so every column stays reachable. */}
      <Flex
        direction={{ base: 'column', sm: 'row' }}
        align={{ base: 'stretch', sm: 'flex-start' }}
        gap="sm"
        aria-label={props.label}
        role="group"
        style={{ overflowX: 'auto' }}
        pb="sm"
      >
        {props.columns.map((status) => (
          <Column
            key={status}
            status={status}
            title={props.columnLabel(status)}
            items={props.items.filter((i) => i.status === status)}
            renderCard={props.renderCard}
            cardLabel={props.cardLabel}
          />
        ))}
      </Flex>
    </DndContext>
  );
}

/** dnd-kit's screen-reader texts: what to press, and each step of a move by card and column names. */
function useBoardAccessibility<S extends string, T extends Item<S>>(props: StatusBoardProps<S, T>) {
  const { t } = useTranslation();
  const { items, cardLabel, columnLabel } = props;
  return useMemo(() => {
    const item = (id: string | number) => items.find((i) => i.id === id);
    const card = (id: string | number) => {
      const found = item(id);
      return found ? cardLabel(found) : '';
    };
    // Where the card was when the move started (the optimistic move changes it only after the drop).
    const home = (id: string | number) => {
      const found = item(id);
      return found ? columnLabel(found.status) : '';
    };
    const announcements: Announcements = {
      onDragStart: ({ active }) => t('board.pickedUp', { card: card(active.id), column: home(active.id) }),
      onDragOver: ({ active, over }) =>
        over
          ? t('board.over', { card: card(active.id), column: columnLabel(over.id as S) })
          : t('board.overNothing', { card: card(active.id) }),
      onDragEnd: ({ active, over }) =>
        over
          ? t('board.dropped', { card: card(active.id), column: columnLabel(over.id as S) })
          : t('board.droppedNothing', { card: card(active.id), column: home(active.id) }),
      onDragCancel: ({ active }) => t('board.cancelled', { card: card(active.id), column: home(active.id) }),
    };
    return { announcements, screenReaderInstructions: { draggable: t('board.instructions') } };
  }, [t, items, cardLabel, columnLabel]);
}

function Column<S extends string, T extends Item<S>>(props: {
  status: S;
  title: string;
  items: T[];
  renderCard: (item: T) => ReactNode;
  cardLabel: (item: T) => string;
}) {
  const { setNodeRef, isOver } = useDroppable({ id: props.status });
  return (
    <Paper
      ref={setNodeRef}
      withBorder
      p="xs"
      style={{ flex: '1 1 0', minWidth: 170 }}
      bg={isOver ? 'blue.0' : 'gray.0'}
      data-column={props.status}
      data-over={isOver || undefined}
      aria-label={props.title}
      role="region"
    >
      <Group justify="space-between" mb="xs" wrap="nowrap" gap={4}>
        <Text fw={600} size="sm" truncate>
          {props.title}
        </Text>
        <Badge variant="outline" size="sm">
          {props.items.length}
        </Badge>
      </Group>
      <Stack gap="xs" mih={{ base: 40, sm: 80 }}>
        {props.items.map((item) => (
          <Card key={item.id} id={item.id} status={props.status} label={props.cardLabel(item)}>
            {props.renderCard(item)}
          </Card>
        ))}
      </Stack>
    </Paper>
  );
}

function Card(props: { id: string; status: string; label: string; children: ReactNode }) {
  const { id, label, children } = props;
  const { t } = useTranslation();
  const { attributes, listeners, setNodeRef, transform, isDragging } = useDraggable({
    id,
    data: { status: props.status },
    attributes: { roleDescription: t('board.roleDescription') },
  });
  const style = transform
    ? { transform: `translate3d(${transform.x}px, ${transform.y}px, 0)`, zIndex: 10 }
    : undefined;
  return (
    <Paper
      ref={setNodeRef}
      shadow={isDragging ? 'md' : 'xs'}
      p="xs"
      withBorder
      style={{ ...style, cursor: 'grab', touchAction: 'none' }}
      data-card={id}
      {...attributes}
      {...listeners}
      aria-label={label}
    >
      {children}
    </Paper>
  );
}
