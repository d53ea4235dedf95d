// Governance state on the data map (issue 15): which points have a pending, approved or
// rejected proposal, or were pruned or down-weighted by a release — the governance column
// (`GET /export/runs/<runId>/governance.arrow`, GOVERNANCE_FLAGS bits per point). Each state is
// an outline of its own form around the point (not a colour; canaries keep their ring), named in the legend, which is
// also the filter. Pure.
import { GOVERNANCE_FLAG_ORDER, GOVERNANCE_FLAGS, type GovernanceFlag } from "@gdc/cartography/governance";

export { countGovernanceFlags, GOVERNANCE_FLAG_ORDER, GOVERNANCE_FLAGS, type GovernanceFlag } from "@gdc/cartography/governance";

export type GovernanceMarker = "diamond" | "square" | "cross" | "strike" | "down-triangle";

export interface GovernanceStyle {
  label: string;
  description: string;
  marker: GovernanceMarker;
}

export const GOVERNANCE_STYLE: Record<GovernanceFlag, GovernanceStyle> = {
  PENDING: { label: "Pending", description: "a proposal waits for review on a draft", marker: "diamond" },
  APPROVED: { label: "Approved", description: "approved; applied when the draft is released", marker: "square" },
  REJECTED: { label: "Rejected", description: "a proposal was rejected", marker: "cross" },
  PRUNED: { label: "Pruned", description: "left a released version (applied prune)", marker: "strike" },
  DOWNWEIGHTED: { label: "Weight lowered", description: "a released version holds it with a lower weight", marker: "down-triangle" },
};

/** What the governance filter shows: every point, points with some state, none, or one state. */
export type GovernanceFilter = "ALL" | "ANY" | "NONE" | GovernanceFlag;

export const GOVERNANCE_FILTERS: readonly GovernanceFilter[] = ["ALL", "ANY", ...GOVERNANCE_FLAG_ORDER, "NONE"];

export function governanceFilterLabel(filter: GovernanceFilter): string {
  if (filter === "ALL") return "All points";
  if (filter === "ANY") return "Any proposal or change";
  if (filter === "NONE") return "No proposal";
  return GOVERNANCE_STYLE[filter].label;
}

/** Does a point with these flags pass the filter? */
export function passesGovernanceFilter(flags: number, filter: GovernanceFilter): boolean {
  if (filter === "ALL") return true;
  if (filter === "ANY") return flags !== 0;
  if (filter === "NONE") return flags === 0;
  return (flags & GOVERNANCE_FLAGS[filter]) !== 0;
}

/** 1 per point passing the filter (null for ALL: every point passes). */
export function governanceMask(flags: Uint8Array, filter: GovernanceFilter): Uint8Array | null {
  if (filter === "ALL") return null;
  const out = new Uint8Array(flags.length);
  for (let i = 0; i < flags.length; i++) out[i] = passesGovernanceFilter(flags[i]!, filter) ? 1 : 0;
  return out;
}

/** The states of one point, in legend order ("Pending, Rejected"); "" for none. */
export function describeGovernance(flags: number): string {
  return GOVERNANCE_FLAG_ORDER.filter((name) => flags & GOVERNANCE_FLAGS[name])
    .map((name) => GOVERNANCE_STYLE[name].label)
    .join(", ");
}

/** SVG path (12 × 12 box, stroked) of a governance outline, for the legend. */
export function governanceMarkerPath(marker: GovernanceMarker): string {
  switch (marker) {
    case "diamond":
      return "M6 0.5L11.5 6L6 11.5L0.5 6Z";
    case "square":
      return "M1.5 1.5H10.5V10.5H1.5Z";
    case "cross":
      return "M2 2L10 10M10 2L2 10";
    case "strike":
      return "M0.5 6H11.5M0.5 5H11.5M0.5 7H11.5";
    case "down-triangle":
      return "M1 2H11L6 11Z";
  }
}

/**
 * Adds a governance outline centred at (x, y) to the current path of a 2D context, `r` CSS
 * pixels in radius (the canvas strokes every point of one state in one go).
 */
export function traceGovernanceMarker(ctx: CanvasRenderingContext2D, marker: GovernanceMarker, x: number, y: number, r: number): void {
  switch (marker) {
    case "diamond":
      ctx.moveTo(x, y - r - 1);
      ctx.lineTo(x + r + 1, y);
      ctx.lineTo(x, y + r + 1);
      ctx.lineTo(x - r - 1, y);
      ctx.closePath();
      break;
    case "square":
      ctx.rect(x - r, y - r, 2 * r, 2 * r);
      break;
    case "cross":
      ctx.moveTo(x - r, y - r);
      ctx.lineTo(x + r, y + r);
      ctx.moveTo(x + r, y - r);
      ctx.lineTo(x - r, y + r);
      break;
    case "strike":
      ctx.moveTo(x - r - 2, y);
      ctx.lineTo(x + r + 2, y);
      break;
    case "down-triangle":
      ctx.moveTo(x - r, y - r * 0.8);
      ctx.lineTo(x + r, y - r * 0.8);
      ctx.lineTo(x, y + r);
      ctx.closePath();
      break;
  }
}
