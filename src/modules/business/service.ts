// The business module's services, built together: contracts (MRR), invoices and payments
// (revenue), deals (conversion), satisfaction feedback, and exports of their lists. Analytics and
// the routes reach business data through this object.
import type { Db } from '../../platform/db/transaction.ts';
import type { AuditService } from '../audit/service.ts';
import type { TenancyService } from '../tenancy/service.ts';
import type { WorkService } from '../work/service.ts';
import { clientLedger } from './client-ledger.ts';
import { ContractService } from './contract-service.ts';
import { DealService } from './deal-service.ts';
import { BusinessExportService } from './export-service.ts';
import { FeedbackService } from './feedback-service.ts';
import { InvoiceService } from './invoice-service.ts';

export class BusinessService {
  readonly contracts: ContractService;
  readonly invoices: InvoiceService;
  readonly deals: DealService;
  readonly feedback: FeedbackService;
  readonly exports: BusinessExportService;

  constructor(deps: { db: Db; audit: AuditService; tenancy: TenancyService; work: WorkService }) {
    this.contracts = new ContractService(deps);
    this.invoices = new InvoiceService(deps);
    this.deals = new DealService(deps);
    this.feedback = new FeedbackService(deps);
    this.exports = new BusinessExportService(deps);
    // Client deletes and churn must respect contracts, invoices and feedback (work cannot see them).
    deps.work.clients.useLedger(clientLedger(this.contracts));
  }
}
