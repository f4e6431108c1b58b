// The permission catalogue as the matrix shows it: organization permissions (platform-only ones
// cannot be given to an organization role) grouped by resource, in the catalogue's order.
import type { PermissionInfo } from './types.ts';

export interface PermissionGroup {
  resource: string;
  permissions: PermissionInfo[];
}

export function groupByResource(permissions: readonly PermissionInfo[]): PermissionGroup[] {
  const groups = new Map<string, PermissionInfo[]>();
  for (const p of permissions) {
    if (p.platformOnly) continue;
    const resource = p.name.split(':')[0] ?? p.name;
    const list = groups.get(resource) ?? [];
    list.push(p);
    groups.set(resource, list);
  }
  return [...groups].map(([resource, list]) => ({ resource, permissions: list }));
}

/** The action half of `resource:action`. */
export function actionOf(permission: string): string {
  return permission.split(':')[1] ?? permission;
}
