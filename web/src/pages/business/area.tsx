// The business area: its navigation section and its routes (mounted under the signed-in layout).
import type { ReactNode } from 'react';
import type { NavSection } from '../../app/nav.ts';

export const businessNav: NavSection | null = null;
export const businessRoutes: ReactNode = null;
