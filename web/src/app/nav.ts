// The navigation: sections of links, each area contributing its own (pages/<area>/area.tsx).
import type { TFunction } from 'i18next';

export interface NavItem {
  to: string;
  label: (t: TFunction) => string;
  /** Shown only to members holding this permission. */
  permission?: string;
}

export interface NavSection {
  label: (t: TFunction) => string;
  items: NavItem[];
}
