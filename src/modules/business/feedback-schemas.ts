// Satisfaction feedback: a score from 1 to 5 about a client and/or a project.
import { type Static, Type } from 'typebox';
import { sortValues } from '../../platform/db/keyset-list.ts';
import { DateOnly, Nullable, ResourceFields, StringEnum, Uuid } from '../../platform/http/common-schemas.ts';
import { PageQuery } from '../../platform/http/pagination.ts';

const Score = Type.Integer({
  minimum: 1,
  maximum: 5,
  description: 'Satisfaction from 1 (worst) to 5 (best).',
});

export const Feedback = Type.Object({
  ...ResourceFields,
  clientId: Nullable(Uuid()),
  projectId: Nullable(Uuid()),
  score: Score,
  comment: Type.String(),
  receivedOn: Type.String({ format: 'date' }),
});
export type FeedbackDto = Static<typeof Feedback>;

export const CreateFeedbackBody = Type.Object(
  {
    clientId: Type.Optional(Nullable(Uuid('A client of this organization; clientId, projectId or both.'))),
    projectId: Type.Optional(Nullable(Uuid('A project of this organization; clientId, projectId or both.'))),
    score: Score,
    comment: Type.Optional(Type.String({ maxLength: 5000 })),
    receivedOn: Type.Optional(DateOnly("Default today in the organization's time zone.")),
  },
  { additionalProperties: false },
);
export type CreateFeedbackInput = Static<typeof CreateFeedbackBody>;

export const UpdateFeedbackBody = Type.Object(
  {
    clientId: Type.Optional(Nullable(Uuid())),
    projectId: Type.Optional(Nullable(Uuid())),
    score: Type.Optional(Score),
    comment: Type.Optional(Type.String({ maxLength: 5000 })),
    receivedOn: Type.Optional(DateOnly()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateFeedbackInput = Static<typeof UpdateFeedbackBody>;

export const FEEDBACK_SORTS = ['createdAt', 'updatedAt', 'receivedOn', 'score'] as const;

export const FeedbackListQuery = Type.Object(
  {
    ...PageQuery,
    clientId: Type.Optional(Uuid()),
    projectId: Type.Optional(Uuid()),
    score: Type.Optional(Score),
    receivedFrom: Type.Optional(DateOnly('Received on or after this day.')),
    receivedTo: Type.Optional(DateOnly('Received on or before this day.')),
    sort: Type.Optional(
      StringEnum(sortValues(FEEDBACK_SORTS), {
        default: '-receivedOn',
        description: 'Prefix - for descending.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type FeedbackListQueryType = Static<typeof FeedbackListQuery>;
