// Explains a refused status move in the user's language: the API answers 409
// `invalid-transition` with the moves allowed from the current status, or 412 when the
// resource changed meanwhile.
import type { TFunction } from 'i18next';
import { ApiProblem } from '../../api/client.ts';

export function moveRefusal(
  err: unknown,
  kind: 'projects' | 'tasks',
  from: string,
  t: TFunction,
): { title: string; message: string } | null {
  if (!(err instanceof ApiProblem)) return null;
  const label = (s: string) => t(`${kind}.status.${s}` as 'projects.status.active');
  if (err.code === 'invalid-transition') {
    const allowed = (err.problem.allowedMoves as string[] | undefined) ?? [];
    return {
      title: t('projects.moveRefused'),
      message: allowed.length
        ? t('projects.allowedMoves', { from: label(from), moves: allowed.map(label).join(', ') })
        : t('projects.noMoves', { from: label(from) }),
    };
  }
  if (err.code === 'precondition-failed')
    return { title: t('projects.moveRefused'), message: t('projects.staleRefused') };
  return { title: t('projects.moveRefused'), message: err.message };
}
