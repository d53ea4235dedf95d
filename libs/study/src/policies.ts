/**
 * The arms of a study: GenDataCarto's policies and the comparison baselines, each turned into
 * per-example training weights from the baseline's scores.
 */
import { applyPolicy, parsePolicySpec, type PolicySpec } from "@gdc/cartography";
import { StudyInputError } from "./corpus.ts";
import type { StudyScores } from "./scoring.ts";

export type StudyPolicyKind = "gendatacarto" | "comparison";

/** A policy spec as configured; `pruneRandom` may leave out its seed (then: the training seed). */
export type StudyPolicySpec = PolicySpec | { name: "pruneRandom"; params: { percent: number } };

export interface StudyPolicy {
  /** Stable key in reports, e.g. "gdc-prune-memorization". */
  name: string;
  label: string;
  kind: StudyPolicyKind;
  spec: StudyPolicySpec;
}

export const SUMMARY_POLICY = "gdc-prune-memorization";

const pct = (x: number) => `${Number(x.toPrecision(6))} %`;

/**
 * GenDataCarto's two policies (prune top x % by memorization — the paper's intervention, the one
 * the release-gate summary reports — and down-weight HOTSPOT_MEMORIZED to w) and the two
 * baselines at the same budget (a random x %, the top x % by loss).
 */
export function defaultStudyPolicies(prunePercent: number, downweight: number): StudyPolicy[] {
  return [
    { name: SUMMARY_POLICY, label: `GenDataCarto: prune top ${pct(prunePercent)} by memorization`, kind: "gendatacarto", spec: { name: "pruneTopByMemorization", params: { percent: prunePercent } } },
    {
      name: "gdc-downweight-hotspots",
      label: `GenDataCarto: down-weight HOTSPOT_MEMORIZED to ${downweight}`,
      kind: "gendatacarto",
      spec: { name: "downweightQuadrant", params: { quadrant: "HOTSPOT_MEMORIZED", weight: downweight } },
    },
    { name: "random-prune", label: `Baseline: prune a random ${pct(prunePercent)}`, kind: "comparison", spec: { name: "pruneRandom", params: { percent: prunePercent } } },
    { name: "loss-prune", label: `Baseline: prune top ${pct(prunePercent)} by loss`, kind: "comparison", spec: { name: "pruneTopByLoss", params: { percent: prunePercent } } },
  ];
}

/** The concrete spec for one training seed (a seedless random policy takes the training seed). */
export function resolvePolicySpec(policy: StudyPolicy, seed: number): PolicySpec {
  const spec = policy.spec;
  const concrete = spec.name === "pruneRandom" && !("seed" in spec.params) ? { name: "pruneRandom", params: { percent: spec.params.percent, seed: seed >>> 0 } } : spec;
  try {
    return parsePolicySpec(concrete);
  } catch (err) {
    throw new StudyInputError(`policy ${JSON.stringify(policy.name)}`, (err as Error).message);
  }
}

export function validatePolicies(policies: readonly StudyPolicy[]): void {
  const names = new Set<string>(["baseline"]);
  for (const p of policies) {
    if (names.has(p.name)) throw new StudyInputError(`policy ${JSON.stringify(p.name)}`, "name: duplicate (\"baseline\" is reserved)");
    names.add(p.name);
    resolvePolicySpec(p, 0);
  }
}

export interface CuratedWeights {
  weights: Float32Array;
  spec: PolicySpec;
  /** Example indices the policy pruned or down-weighted. */
  affected: number[];
  pruned: number;
  downweighted: number;
}

export function curatedWeights(policy: StudyPolicy, seed: number, ids: readonly string[], baseline: StudyScores): CuratedWeights {
  const spec = resolvePolicySpec(policy, seed);
  const proposals = applyPolicy(spec, baseline.scores, baseline.quadrants, ids);
  const index = new Map(ids.map((id, i) => [id, i]));
  const weights = new Float32Array(ids.length).fill(1);
  const affected: number[] = [];
  let pruned = 0;
  let downweighted = 0;
  for (const p of proposals) {
    const i = index.get(p.exampleId)!;
    weights[i] = p.weight;
    affected.push(i);
    if (p.action === "PRUNE") pruned++;
    else downweighted++;
  }
  return { weights, spec, affected, pruned, downweighted };
}
