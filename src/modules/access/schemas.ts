import { type Static, Type } from 'typebox';
import { Name, Nullable, ResourceFields } from '../../platform/http/common-schemas.ts';

export const Role = Type.Object({
  ...ResourceFields,
  key: Nullable(
    Type.String({ description: 'Built-in role key (org_admin, manager, ...); null for custom roles.' }),
  ),
  name: Type.String(),
  description: Type.String(),
  builtin: Type.Boolean(),
  permissions: Type.Array(Type.String()),
  members: Type.Integer({ description: 'Members holding this role.' }),
});
export type RoleDto = Static<typeof Role>;

const PermissionList = Type.Array(Type.String({ maxLength: 64 }), { maxItems: 200, uniqueItems: true });

export const CreateRoleBody = Type.Object(
  {
    name: Name(100),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    permissions: PermissionList,
  },
  { additionalProperties: false },
);

export const UpdateRoleBody = Type.Object(
  {
    name: Type.Optional(Name(100)),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    permissions: Type.Optional(PermissionList),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const RoleList = Type.Object({ items: Type.Array(Role), nextCursor: Type.Null() });

export const PermissionCatalogue = Type.Object({
  permissions: Type.Array(
    Type.Object({ name: Type.String(), description: Type.String(), platformOnly: Type.Boolean() }),
  ),
  builtinRoles: Type.Array(
    Type.Object({
      key: Type.String(),
      name: Type.String(),
      description: Type.String(),
      permissions: Type.Array(Type.String()),
    }),
  ),
});
