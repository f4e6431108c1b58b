// A table wider than its card scrolls sideways, and shows that it does: a shadow at each edge it
// can still scroll towards, and a line under it saying so. On a phone nothing else did (no
// scrollbar is drawn until one scrolls), so a cut-off table looked complete. Scrollable, it is
// also a named region that takes the keyboard focus, so arrow keys scroll it.
import { Box, Table, Text } from '@mantine/core';
import { type CSSProperties, type ReactNode, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';

interface Edges {
  /** There is more to the left (scrolled away from the start). */
  start: boolean;
  /** There is more to the right. */
  end: boolean;
}

const SHADOW: CSSProperties = {
  position: 'absolute',
  top: 0,
  bottom: 0,
  width: 20,
  pointerEvents: 'none',
  zIndex: 2,
};

export function WideTable({ minWidth, children }: { minWidth: number; children: ReactNode }) {
  const { t } = useTranslation();
  const ref = useRef<HTMLDivElement>(null);
  const [edges, setEdges] = useState<Edges>({ start: false, end: false });

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = () => {
      const hidden = el.scrollWidth - el.clientWidth;
      const next = { start: el.scrollLeft > 1, end: el.scrollLeft < hidden - 1 };
      setEdges((prev) => (prev.start === next.start && prev.end === next.end ? prev : next));
    };
    update();
    el.addEventListener('scroll', update, { passive: true });
    // The width changes with the screen, and with the rows when they arrive.
    const resize = new ResizeObserver(update);
    resize.observe(el);
    if (el.firstElementChild) resize.observe(el.firstElementChild);
    return () => {
      el.removeEventListener('scroll', update);
      resize.disconnect();
    };
  }, []);

  const scrollable = edges.start || edges.end;
  return (
    <Box data-wide-table data-scrollable={scrollable || undefined}>
      <Box pos="relative">
        <Table.ScrollContainer
          ref={ref}
          type="native"
          minWidth={minWidth}
          tabIndex={scrollable ? 0 : undefined}
          role={scrollable ? 'region' : undefined}
          aria-label={scrollable ? t('common.scrollHint') : undefined}
        >
          {children}
        </Table.ScrollContainer>
        {edges.start && (
          <div
            aria-hidden
            data-scroll-shadow="start"
            style={{
              ...SHADOW,
              left: 0,
              background: 'linear-gradient(to right, rgba(0, 0, 0, 0.18), transparent)',
            }}
          />
        )}
        {edges.end && (
          <div
            aria-hidden
            data-scroll-shadow="end"
            style={{
              ...SHADOW,
              right: 0,
              background: 'linear-gradient(to left, rgba(0, 0, 0, 0.18), transparent)',
            }}
          />
        )}
      </Box>
      {scrollable && (
        <Text size="xs" c="dimmed" mt={4} aria-hidden data-scroll-hint>
          {edges.end ? `${t('common.scrollHint')} →` : `← ${t('common.scrollHint')}`}
        </Text>
      )}
    </Box>
  );
}
