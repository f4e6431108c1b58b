// The deal pipeline: which stage moves are allowed. An illegal move is refused with 409
// `invalid-transition` listing the allowed ones. Every move needs `business:manage`.
import { AppError } from '../../platform/errors.ts';
import { COMMON } from '../../platform/i18n/common-messages.ts';
import { resourceName } from '../../platform/i18n/resource-names.ts';

export const DEAL_STAGES = ['lead', 'qualified', 'proposal', 'negotiation', 'won', 'lost'] as const;
export type DealStage = (typeof DEAL_STAGES)[number];

/** The stages a deal is still being worked in. */
export const OPEN_DEAL_STAGES = [
  'lead',
  'qualified',
  'proposal',
  'negotiation',
] as const satisfies readonly DealStage[];
/** The final stages; entering one sets `closed_at`, leaving one (reopening) clears it. */
export const CLOSED_DEAL_STAGES = ['won', 'lost'] as const satisfies readonly DealStage[];

export const isClosedStage = (s: DealStage): boolean => s === 'won' || s === 'lost';

interface Move {
  to: DealStage;
  note: string;
}

const openMoves = (from: DealStage): Move[] => [
  ...OPEN_DEAL_STAGES.filter((s) => s !== from).map((to) => ({
    to,
    note:
      OPEN_DEAL_STAGES.indexOf(to) > OPEN_DEAL_STAGES.indexOf(from as (typeof OPEN_DEAL_STAGES)[number])
        ? 'moves forward (skipping stages is allowed)'
        : 'moves back to an earlier open stage',
  })),
  { to: 'won', note: 'the deal is won (sets closedAt)' },
  { to: 'lost', note: 'the deal is lost (sets closedAt)' },
];

/**
 * Deal stages: lead → qualified → proposal → negotiation → won | lost. Among the open stages a deal
 * may move forward (skipping stages) or back; from any open stage it may be won or lost. Won and
 * lost are final except for reopening, which moves the deal back to negotiation and clears closedAt.
 */
export const DEAL_MOVES: Record<DealStage, Move[]> = {
  lead: openMoves('lead'),
  qualified: openMoves('qualified'),
  proposal: openMoves('proposal'),
  negotiation: openMoves('negotiation'),
  won: [{ to: 'negotiation', note: 'reopened (clears closedAt)' }],
  lost: [{ to: 'negotiation', note: 'reopened (clears closedAt)' }],
};

/** The stages a deal at `from` may move to. */
export const allowedDealMoves = (from: DealStage): DealStage[] => DEAL_MOVES[from].map((m) => m.to);

/** Checks a deal move (the same stage is no move). */
export function assertDealMove(from: DealStage, to: DealStage): void {
  if (from === to) return;
  const allowed = allowedDealMoves(from);
  if (!allowed.includes(to)) {
    throw new AppError(
      'invalid-transition',
      allowed.length
        ? COMMON.invalidMove({ what: resourceName('deal'), from, to, allowed: allowed.join(', ') })
        : COMMON.invalidMoveNowhere({ what: resourceName('deal'), from, to }),
      { extra: { from, to, allowedMoves: allowed } },
    );
  }
}
