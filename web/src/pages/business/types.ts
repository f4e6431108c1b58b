// Types of the business records, read off the generated API contract.
import type { Ok } from '../../api/types.ts';

export type Contract = Ok<'/api/v1/contracts/{id}'>;
export type Invoice = Ok<'/api/v1/invoices/{id}'>;
export type Payment = Ok<'/api/v1/invoices/{id}/payments/{paymentId}'>;
export type Deal = Ok<'/api/v1/deals/{id}'>;
export type Pipeline = Ok<'/api/v1/deals/pipeline'>;
export type Feedback = Ok<'/api/v1/feedback/{id}'>;
export type BillingInterval = Contract['billingInterval'];
export type InvoiceState = Invoice['state'];
export type DealStage = Deal['stage'];

export const BILLING_INTERVALS: readonly BillingInterval[] = ['month', 'quarter', 'year'];
export const INVOICE_STATES: readonly InvoiceState[] = ['open', 'partially_paid', 'overdue', 'paid', 'void'];
export const DEAL_STAGES: readonly DealStage[] = [
  'lead',
  'qualified',
  'proposal',
  'negotiation',
  'won',
  'lost',
];
export const OPEN_STAGES: readonly DealStage[] = ['lead', 'qualified', 'proposal', 'negotiation'];
