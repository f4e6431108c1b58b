// Deals: the sales pipeline, what conversion is computed from.
import { type Static, Type } from 'typebox';
import { sortValues } from '../../platform/db/keyset-list.ts';
import {
  CurrencyCode,
  DateOnly,
  MinorAmount,
  Name,
  Nullable,
  ResourceFields,
  StringEnum,
  Timestamp,
  Uuid,
} from '../../platform/http/common-schemas.ts';
import { PageQuery } from '../../platform/http/pagination.ts';
import { DEAL_STAGES } from './transitions.ts';

const DealStage = StringEnum(DEAL_STAGES, {
  description:
    'lead → qualified → proposal → negotiation → won | lost. Open stages move forward (skipping allowed) or back among themselves, or to won/lost; won and lost only reopen to negotiation. Other moves get 409 `invalid-transition` with `allowedMoves`.',
});

export const Deal = Type.Object({
  ...ResourceFields,
  title: Type.String(),
  clientId: Nullable(Uuid()),
  ownerId: Nullable(Uuid('The member working the deal.')),
  amountMinor: Type.Integer({ description: 'Expected value in minor units.' }),
  currency: Type.String(),
  stage: DealStage,
  expectedCloseOn: Nullable(Type.String({ format: 'date' })),
  closedAt: Nullable(Timestamp('When the deal was won or lost; cleared when it is reopened.')),
});
export type DealDto = Static<typeof Deal>;

const dealFields = {
  title: Name(200),
  clientId: Type.Optional(Nullable(Uuid('A client of this organization.'))),
  ownerId: Type.Optional(Nullable(Uuid('A member of this organization.'))),
  amountMinor: Type.Optional(MinorAmount('Expected value in minor units; not negative (default 0).')),
  currency: Type.Optional(CurrencyCode),
  stage: Type.Optional(DealStage),
  expectedCloseOn: Type.Optional(Nullable(DateOnly())),
};

export const CreateDealBody = Type.Object(dealFields, { additionalProperties: false });
export type CreateDealInput = Static<typeof CreateDealBody>;

export const UpdateDealBody = Type.Object(
  { ...dealFields, title: Type.Optional(dealFields.title) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateDealInput = Static<typeof UpdateDealBody>;

export const DEAL_SORTS = ['createdAt', 'updatedAt', 'title', 'amountMinor', 'expectedCloseOn'] as const;

export const DealListQuery = Type.Object(
  {
    ...PageQuery,
    stage: Type.Optional(DealStage),
    open: Type.Optional(
      Type.Boolean({ description: 'true: only open deals; false: only won or lost ones.' }),
    ),
    clientId: Type.Optional(Uuid()),
    ownerId: Type.Optional(Uuid()),
    sort: Type.Optional(
      StringEnum(sortValues(DEAL_SORTS), {
        default: '-createdAt',
        description: 'Prefix - for descending; deals without expectedCloseOn sort last.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type DealListQueryType = Static<typeof DealListQuery>;

export const Pipeline = Type.Object({
  currency: Type.String({ description: "The organization's currency, which every amount is in." }),
  stages: Type.Array(
    Type.Object({
      stage: DealStage,
      count: Type.Integer({ description: 'Deals in this stage.' }),
      amountMinor: Type.Integer({ description: 'Sum of their amounts.' }),
    }),
    { description: 'Every stage, in pipeline order, with zeros for empty ones.' },
  ),
});
export type PipelineDto = Static<typeof Pipeline>;
