import { type Static, Type } from 'typebox';
import { Nullable, StringEnum, Timestamp, Uuid } from '../../platform/http/common-schemas.ts';
import { PageQuery } from '../../platform/http/pagination.ts';

export const EventFailure = Type.Object(
  {
    id: Uuid('The failure (the handler × event); retry with POST /events/failures/{id}/retry.'),
    handler: Type.String({ description: 'The handler that failed.' }),
    status: StringEnum(['failed', 'retry_requested'] as const, {
      description: '`failed`: parked after its attempts; `retry_requested`: a retry is queued.',
    }),
    attempts: Type.Integer({ minimum: 0 }),
    lastError: Nullable(Type.String()),
    failedAt: Timestamp('When the last attempt failed (or the retry was asked for).'),
    event: Type.Object({
      id: Uuid(),
      type: Type.String(),
      seq: Type.Integer(),
      occurredAt: Timestamp(),
      actor: Type.Object({ type: Type.String(), id: Nullable(Uuid()) }),
      payload: Type.Record(Type.String(), Type.Unknown()),
    }),
  },
  { additionalProperties: false },
);
export type EventFailureDto = Static<typeof EventFailure>;

export const EventFailureQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });
export type EventFailureQueryType = Static<typeof EventFailureQuery>;
