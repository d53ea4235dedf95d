/**
 * What governance has done or proposes for a point of a run's data map, as bit flags: the
 * governance column of `GET /export/runs/<runId>/governance.arrow` (libs/db
 * readRunGovernance), read by the web's map. Several may hold at once (rejected on one draft,
 * pending on another). Browser-safe (`@gdc/cartography/governance`: no imports).
 */
export const GOVERNANCE_FLAGS = {
  /** A PROPOSED intervention on a draft version: waiting for review (the review queue). */
  PENDING: 1,
  /** An APPROVED intervention on a draft version: applied when that draft is released. */
  APPROVED: 2,
  /** A REJECTED intervention. */
  REJECTED: 4,
  /** An applied PRUNE: the example left a released version. */
  PRUNED: 8,
  /** An applied DOWNWEIGHT: a released version holds it with a weight below 1. */
  DOWNWEIGHTED: 16,
} as const;

export type GovernanceFlag = keyof typeof GOVERNANCE_FLAGS;

/** The flags in legend order. */
export const GOVERNANCE_FLAG_ORDER = ["PENDING", "APPROVED", "REJECTED", "PRUNED", "DOWNWEIGHTED"] as const satisfies readonly GovernanceFlag[];

/** How many points carry each flag (a point with two flags counts under both). */
export function countGovernanceFlags(flags: ArrayLike<number>): Record<GovernanceFlag, number> {
  const counts: Record<GovernanceFlag, number> = { PENDING: 0, APPROVED: 0, REJECTED: 0, PRUNED: 0, DOWNWEIGHTED: 0 };
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i]!;
    if (!f) continue;
    for (const name of GOVERNANCE_FLAG_ORDER) if (f & GOVERNANCE_FLAGS[name]) counts[name]++;
  }
  return counts;
}
