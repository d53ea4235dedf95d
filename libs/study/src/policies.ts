/**
 * The arms of a study: GenDataCarto's policies and the comparison baselines, each turned into
 * per-example training weights from the baseline's scores (or, for exact-duplicate removal,
 * from the texts alone).
 */
import { applyPolicy, parsePolicySpec, PAPER_MEMORIZATION_SIGNAL, type PolicySpec, type ScoringConfig } from "@gdc/cartography";
import { StudyInputError } from "./corpus.ts";
import type { StudyScores } from "./scoring.ts";

export type StudyPolicyKind = "gendatacarto" | "comparison";

/**
 * Exact-duplicate removal (Kandpal et al. 2022, "Deduplicating training data mitigates privacy
 * risks"): keep the first copy of every training text that occurs more than once, prune the
 * others. No budget: it prunes what it prunes.
 */
export interface DedupSpec {
  name: "dedupExact";
  params: Record<string, never>;
}

/** A policy spec as configured; `pruneRandom` may leave out its seed (then: the training seed). */
export type StudyPolicySpec = PolicySpec | DedupSpec | { name: "pruneRandom"; params: { percent: number } };

/** The spec an arm ran with for one seed. */
export type ResolvedPolicySpec = PolicySpec | DedupSpec;

export interface StudyPolicy {
  /** Stable key in reports, e.g. "gdc-prune-memorization". */
  name: string;
  label: string;
  kind: StudyPolicyKind;
  spec: StudyPolicySpec;
  /**
   * Scoring overrides the policy's scores are computed with (e.g. the paper's memorization
   * signal); default: the study's scoring.
   */
  scoring?: Pick<ScoringConfig, "memorizationSignal">;
}

export const SUMMARY_POLICY = "gdc-prune-memorization";
export const FORGET_FREQUENCY_POLICY = "gdc-prune-forget-frequency";
export const DEDUP_POLICY = "dedup-exact";

const pct = (x: number) => `${Number(x.toPrecision(6))} %`;

/**
 * GenDataCarto's policies — prune top x % by memorization (the study's memorization signal; the
 * one the release-gate summary reports), down-weight HOTSPOT_MEMORIZED to w, and prune top x %
 * by the paper's forget frequency — and the baselines: a random x %, the top x % by loss, and
 * exact-duplicate removal.
 */
export function defaultStudyPolicies(prunePercent: number, downweight: number): StudyPolicy[] {
  return [
    {
      name: SUMMARY_POLICY,
      label: `GenDataCarto: prune top ${pct(prunePercent)} by memorization`,
      kind: "gendatacarto",
      spec: { name: "pruneTopByMemorization", params: { percent: prunePercent } },
    },
    {
      name: "gdc-downweight-hotspots",
      label: `GenDataCarto: down-weight HOTSPOT_MEMORIZED to ${downweight}`,
      kind: "gendatacarto",
      spec: { name: "downweightQuadrant", params: { quadrant: "HOTSPOT_MEMORIZED", weight: downweight } },
    },
    {
      name: FORGET_FREQUENCY_POLICY,
      label: `GenDataCarto (paper): prune top ${pct(prunePercent)} by forget frequency`,
      kind: "gendatacarto",
      spec: { name: "pruneTopByMemorization", params: { percent: prunePercent } },
      scoring: { memorizationSignal: PAPER_MEMORIZATION_SIGNAL },
    },
    {
      name: "random-prune",
      label: `Baseline: prune a random ${pct(prunePercent)}`,
      kind: "comparison",
      spec: { name: "pruneRandom", params: { percent: prunePercent } },
    },
    {
      name: "loss-prune",
      label: `Baseline: prune top ${pct(prunePercent)} by loss`,
      kind: "comparison",
      spec: { name: "pruneTopByLoss", params: { percent: prunePercent } },
    },
    {
      name: DEDUP_POLICY,
      label: "Baseline: remove exact duplicates (keep one copy of each text)",
      kind: "comparison",
      spec: { name: "dedupExact", params: {} },
    },
  ];
}

/** The concrete spec for one training seed (a seedless random policy takes the training seed). */
export function resolvePolicySpec(policy: StudyPolicy, seed: number): ResolvedPolicySpec {
  const spec = policy.spec;
  if (spec.name === "dedupExact") return { name: "dedupExact", params: {} };
  const concrete =
    spec.name === "pruneRandom" && !("seed" in spec.params) ? { name: "pruneRandom", params: { percent: spec.params.percent, seed: seed >>> 0 } } : spec;
  try {
    return parsePolicySpec(concrete);
  } catch (err) {
    throw new StudyInputError(`policy ${JSON.stringify(policy.name)}`, (err as Error).message);
  }
}

export function validatePolicies(policies: readonly StudyPolicy[]): void {
  const names = new Set<string>(["baseline"]);
  for (const p of policies) {
    if (names.has(p.name)) throw new StudyInputError(`policy ${JSON.stringify(p.name)}`, 'name: duplicate ("baseline" is reserved)');
    names.add(p.name);
    resolvePolicySpec(p, 0);
  }
}

export interface CuratedWeights {
  weights: Float32Array;
  spec: ResolvedPolicySpec;
  /** Example indices the policy pruned or down-weighted. */
  affected: number[];
  pruned: number;
  downweighted: number;
}

/** Indices of every copy but the first of each text that occurs more than once. */
export function duplicateCopies(texts: readonly string[]): number[] {
  const seen = new Set<string>();
  const out: number[] = [];
  texts.forEach((t, i) => {
    if (seen.has(t)) out.push(i);
    else seen.add(t);
  });
  return out;
}

export function curatedWeights(policy: StudyPolicy, seed: number, ids: readonly string[], baseline: StudyScores, texts: readonly string[]): CuratedWeights {
  const spec = resolvePolicySpec(policy, seed);
  if (spec.name === "dedupExact") {
    const weights = new Float32Array(ids.length).fill(1);
    const affected = duplicateCopies(texts);
    for (const i of affected) weights[i] = 0;
    return { weights, spec, affected, pruned: affected.length, downweighted: 0 };
  }
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
