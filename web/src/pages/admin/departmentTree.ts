// The department list (depth-first from the API) as a tree, and the labels and choices built on it.
import type { Department } from './types.ts';

export interface DepartmentNode {
  department: Department;
  children: DepartmentNode[];
}

export function buildTree(departments: readonly Department[]): DepartmentNode[] {
  const nodes = new Map(departments.map((d) => [d.id, { department: d, children: [] as DepartmentNode[] }]));
  const roots: DepartmentNode[] = [];
  for (const d of departments) {
    const node = nodes.get(d.id)!;
    const parent = d.parentId ? nodes.get(d.parentId) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/** "Engineering › Backend": the department with its ancestors, for pickers. */
export function pathLabel(d: Department, byId: ReadonlyMap<string, Department>): string {
  return [...d.path.map((id) => byId.get(id)?.name ?? '…'), d.name].join(' › ');
}

/** Departments `d` may move under: not itself, nor any of its descendants (that would be a cycle). */
export function possibleParents(d: Department, all: readonly Department[]): Department[] {
  return all.filter((x) => x.id !== d.id && !x.path.includes(d.id));
}
