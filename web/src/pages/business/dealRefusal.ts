// Explains a refused stage move in the user's language, as pages/work/moveRefusal.ts does for
// projects and tasks: the API answers 409 `invalid-transition` with the stages allowed from the
// current one, or 412 when the deal changed meanwhile.
import type { TFunction } from 'i18next';
import { ApiProblem } from '../../api/client.ts';
import type { DealStage } from './types.ts';

export function dealRefusal(
  err: unknown,
  from: DealStage,
  t: TFunction,
): { title: string; message: string } | null {
  if (!(err instanceof ApiProblem)) return null;
  const label = (s: string) => t(`business.deals.stages.${s}` as 'business.deals.stages.lead');
  const title = t('business.deals.moveRefused');
  if (err.code === 'invalid-transition') {
    const allowed = (err.problem.allowedMoves as string[] | undefined) ?? [];
    return {
      title,
      message: allowed.length
        ? t('business.deals.allowedMoves', { from: label(from), moves: allowed.map(label).join(', ') })
        : t('business.deals.noMoves', { from: label(from) }),
    };
  }
  if (err.code === 'precondition-failed') return { title, message: t('business.deals.staleRefused') };
  return { title, message: err.message };
}
