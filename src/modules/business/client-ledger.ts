// The business side of a client's lifecycle (registered with work's ClientService.useLedger):
// which financial records make a client undeletable, and what churning it ends.
import type { Sql } from '../../platform/db/transaction.ts';
import type { CallContext } from '../../platform/http/request-context.ts';
import type { ClientLedger } from '../work/service.ts';
import type { ContractService } from './contract-service.ts';

/** Contracts, invoices (payments hang off them) and feedback of the client, counted. */
async function history(tx: Sql, clientId: string): Promise<Record<string, number>> {
  const { rows } = await tx.query<{ contracts: number; invoices: number; feedback: number }>(
    `SELECT (SELECT count(*) FROM contracts WHERE client_id = $1)::int AS contracts,
            (SELECT count(*) FROM invoices WHERE client_id = $1)::int AS invoices,
            (SELECT count(*) FROM feedback WHERE client_id = $1)::int AS feedback`,
    [clientId],
  );
  return rows[0]!;
}

export function clientLedger(contracts: ContractService): ClientLedger {
  return {
    history,
    churned: (tx: Sql, ctx: CallContext, clientId: string) => contracts.endForChurn(tx, ctx, clientId),
  };
}
