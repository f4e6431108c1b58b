// Contracts: a client's recurring agreement (amount per month or per year), what MRR is computed from.
import { type Static, Type } from 'typebox';
import { sortValues } from '../../platform/db/keyset-list.ts';
import {
  CurrencyCode,
  DateOnly,
  Name,
  Nullable,
  ResourceFields,
  StringEnum,
  Uuid,
} from '../../platform/http/common-schemas.ts';
import { PageQuery } from '../../platform/http/pagination.ts';

export const BILLING_INTERVALS = ['month', 'quarter', 'year'] as const;
export type BillingInterval = (typeof BILLING_INTERVALS)[number];

const BillingInterval = StringEnum(BILLING_INTERVALS, {
  description: 'How often `amountMinor` is billed: every month, every quarter (3 months) or every year.',
});

/** A positive amount of money in minor units. */
export const PositiveAmount = (description = 'Amount in minor units (e.g. cents); more than 0.') =>
  Type.Integer({ minimum: 1, maximum: 900_000_000_000_000, description });

export const Contract = Type.Object({
  ...ResourceFields,
  clientId: Uuid(),
  name: Type.String(),
  amountMinor: Type.Integer({ description: 'The recurring amount per billing interval, in minor units.' }),
  currency: Type.String(),
  billingInterval: BillingInterval,
  startDate: Type.String({ format: 'date' }),
  endDate: Nullable(
    Type.String({ format: 'date', description: 'Last day of the contract; null: open-ended.' }),
  ),
  monthlyValueMinor: Type.Integer({
    description:
      "The contract's contribution to MRR: amountMinor ÷ the months in its billing interval (1, 3 or 12), rounded half away from zero in integer arithmetic (a yearly 120,006 gives 10,001; a quarterly 100 gives 33). MRR on a day is exactly the sum of monthlyValueMinor over the contracts active that day (startDate ≤ day ≤ endDate, or no endDate).",
  }),
});
export type ContractDto = Static<typeof Contract>;

export const CreateContractBody = Type.Object(
  {
    clientId: Uuid('A client of this organization.'),
    name: Name(200),
    amountMinor: PositiveAmount('The recurring amount per billing interval in minor units; more than 0.'),
    currency: Type.Optional(CurrencyCode),
    billingInterval: BillingInterval,
    startDate: DateOnly('First day of the contract.'),
    endDate: Type.Optional(
      Nullable(DateOnly('Last day of the contract (not before startDate); null: open-ended.')),
    ),
  },
  { additionalProperties: false },
);
export type CreateContractInput = Static<typeof CreateContractBody>;

export const UpdateContractBody = Type.Object(
  {
    clientId: Type.Optional(Uuid()),
    name: Type.Optional(Name(200)),
    amountMinor: Type.Optional(PositiveAmount()),
    currency: Type.Optional(CurrencyCode),
    billingInterval: Type.Optional(BillingInterval),
    startDate: Type.Optional(DateOnly()),
    endDate: Type.Optional(Nullable(DateOnly())),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateContractInput = Static<typeof UpdateContractBody>;

export const CONTRACT_SORTS = ['createdAt', 'updatedAt', 'name', 'startDate', 'amountMinor'] as const;

export const ContractListQuery = Type.Object(
  {
    ...PageQuery,
    clientId: Type.Optional(Uuid()),
    billingInterval: Type.Optional(BillingInterval),
    active: Type.Optional(
      Type.Boolean({
        description:
          'true: only contracts active on `activeOn` (startDate ≤ activeOn ≤ endDate or no endDate); false: only the others.',
      }),
    ),
    activeOn: Type.Optional(
      DateOnly(
        "The day `active` refers to (default today in the organization's time zone); given alone it means active=true.",
      ),
    ),
    sort: Type.Optional(
      StringEnum(sortValues(CONTRACT_SORTS), {
        default: '-createdAt',
        description: 'Prefix - for descending.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ContractListQueryType = Static<typeof ContractListQuery>;
