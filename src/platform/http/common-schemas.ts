// Schema pieces that many contracts share. Each module's schemas.ts composes them.
import { type TSchema, Type } from 'typebox';

export const Uuid = (description?: string) =>
  Type.String({ format: 'uuid', ...(description ? { description } : {}) });
export const Timestamp = (description?: string) =>
  Type.String({ format: 'date-time', ...(description ? { description } : {}) });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A string from a fixed set, as a JSON-Schema `enum` (clearer errors than a union of literals). */
export const StringEnum = <const T extends readonly string[]>(
  values: T,
  options: { description?: string; default?: T[number] } = {},
) => Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 });

export const IdParams = Type.Object({ id: Uuid() }, { additionalProperties: false });

/** Fields every stored resource answers with. */
export const ResourceFields = {
  id: Uuid(),
  createdAt: Timestamp(),
  updatedAt: Timestamp(),
  version: Type.Integer({
    minimum: 1,
    description: 'Increases on every change; send it as If-Match to update safely.',
  }),
};

export const NoContent = Type.Null({ description: 'No content' });
