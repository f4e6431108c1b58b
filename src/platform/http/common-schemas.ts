// Schema pieces that many contracts share. Each module's schemas.ts composes them.
import { type TSchema, Type } from 'typebox';

// The `examples` are what Swagger UI and generated documentation show instead of "string".
export const Uuid = (description?: string) =>
  Type.String({
    format: 'uuid',
    examples: ['01936f3e-8b1a-7c2d-9e4f-0a1b2c3d4e5f'],
    ...(description ? { description } : {}),
  });
export const Timestamp = (description?: string) =>
  Type.String({
    format: 'date-time',
    examples: ['2026-03-14T09:26:53.589Z'],
    ...(description ? { description } : {}),
  });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A string from a fixed set, as a JSON-Schema `enum` (clearer errors than a union of literals). */
export const StringEnum = <const T extends readonly string[]>(
  values: T,
  options: { description?: string; default?: T[number] } = {},
) => Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

/**
 * A required name or title: leading and trailing spaces are removed (validation.ts `x-trim`) before
 * `minLength: 1`, so a name of spaces only is refused like an empty one (rule minLength).
 */
export const Name = (maxLength = 200, description?: string) =>
  Type.String({
    minLength: 1,
    maxLength,
    'x-trim': true,
    description: `${description ? `${description} ` : ''}Leading and trailing spaces are removed; what remains must not be empty.`,
  });

export const Email = Type.String({
  format: 'email',
  minLength: 3,
  maxLength: 254,
  examples: ['ada@example.com'],
});

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

/** A calendar day (YYYY-MM-DD), counted in the organization's time zone where it matters. */
export const DateOnly = (description?: string) =>
  Type.String({ format: 'date', examples: ['2026-03-14'], ...(description ? { description } : {}) });

/** An ISO 4217 currency code; services also check it is a real one and the organization's. */
export const CurrencyCode = Type.String({
  pattern: '^[A-Z]{3}$',
  examples: ['USD'],
  description: "ISO 4217 code, e.g. USD; must be the organization's currency.",
});

/** Money as an integer count of the currency's minor unit (cents for USD, yen for JPY). */
export const MinorAmount = (description = 'Amount in minor units (e.g. cents).') =>
  Type.Integer({ minimum: 0, maximum: 900_000_000_000_000, examples: [125000], description });

/** Free-form labels for filtering. */
export const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 50, pattern: '^[^,\\s][^,]*$' }), {
  maxItems: 30,
  uniqueItems: true,
  description: 'Labels (no commas); lists filter on them with `tag=`.',
});
