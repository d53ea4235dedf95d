import { z } from "zod";
import { ConfigError, DynamicsShapeError } from "./errors.ts";
import { QUADRANT_CODE, QUADRANTS, quadrantName, type Quadrant, type QuadrantAssignment, type QuadrantThresholds } from "./quadrants.ts";
import type { Scores } from "./scores.ts";
import { mulberry32 } from "./random.ts";

const percent = z.number().min(0).max(100);
const quadrant = z.enum(QUADRANTS);

/**
 * A policy as stored JSON (the API and worker keep it and re-run it with `applyPolicy`).
 * `percent` is in [0, 100]; `weight` of a down-weight is strictly inside (0, 1) — weight 0 is a
 * prune, weight 1 no change.
 */
export const policySpecSchema = z.discriminatedUnion("name", [
  z.strictObject({ name: z.literal("pruneTopByMemorization"), params: z.strictObject({ percent }) }),
  z.strictObject({ name: z.literal("pruneTopByLoss"), params: z.strictObject({ percent }) }),
  z.strictObject({
    name: z.literal("pruneRandom"),
    params: z.strictObject({ percent, seed: z.number().int().min(0).max(0xffffffff) }),
  }),
  z.strictObject({ name: z.literal("pruneQuadrant"), params: z.strictObject({ quadrant }) }),
  z.strictObject({
    name: z.literal("downweightQuadrant"),
    params: z.strictObject({ quadrant, weight: z.number().gt(0).lt(1) }),
  }),
]);
export type PolicySpec = z.infer<typeof policySpecSchema>;
export type PolicyName = PolicySpec["name"];

/** Validates a stored or user-given policy; ConfigError names the offending field. */
export function parsePolicySpec(input: unknown): PolicySpec {
  const result = policySpecSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = ["policy", ...issue.path.map(String)].join(".");
  throw new ConfigError(field, issue.message);
}

export type InterventionAction = "PRUNE" | "DOWNWEIGHT";

export interface InterventionEvidence {
  difficulty: number;
  memorization: number;
  quadrant: Quadrant;
  forgetEvents: number;
  thresholds: QuadrantThresholds;
  runId?: string;
}

/** One proposed change to one example; nothing changes until a reviewer approves it. */
export interface InterventionProposal {
  exampleId: string;
  action: InterventionAction;
  /** 0 for PRUNE, in (0, 1) for DOWNWEIGHT. */
  weight: number;
  policy: PolicySpec;
  evidence: InterventionEvidence;
}

export interface PolicyInput {
  ids: readonly string[];
  scores: Pick<Scores, "difficulty" | "memorization" | "forgetEvents">;
  quadrants: QuadrantAssignment;
  runId?: string;
}

export interface PolicyContext {
  runId?: string;
}

/** floor(percent % of n), with q·n rounded to 12 significant digits so 10 % of 70 is 7. */
function countOf(percentValue: number, n: number): number {
  return Math.floor(Number(((percentValue * n) / 100).toPrecision(12)));
}

function checkLengths(input: PolicyInput): void {
  const n = input.ids.length;
  const { difficulty, memorization, forgetEvents } = input.scores;
  if (difficulty.length !== n || memorization.length !== n || forgetEvents.length !== n || input.quadrants.quadrant.length !== n) {
    throw new DynamicsShapeError(`policy input has ${n} ids but scores/quadrants of other lengths`);
  }
}

function propose(spec: PolicySpec, input: PolicyInput, selected: ArrayLike<number>, action: InterventionAction, weight: number): InterventionProposal[] {
  const { ids, scores, quadrants, runId } = input;
  const out: InterventionProposal[] = new Array(selected.length);
  for (let j = 0; j < selected.length; j++) {
    const i = selected[j]!;
    const evidence: InterventionEvidence = {
      difficulty: scores.difficulty[i]!,
      memorization: scores.memorization[i]!,
      quadrant: quadrantName(quadrants.quadrant[i]!),
      forgetEvents: scores.forgetEvents[i]!,
      thresholds: quadrants.thresholds,
    };
    if (runId !== undefined) evidence.runId = runId;
    out[j] = { exampleId: ids[i]!, action, weight, policy: spec, evidence };
  }
  return out;
}

/** Indices 0…n−1 sorted by `before`, then by index (so the order is total and deterministic). */
function rank(n: number, before: (a: number, b: number) => number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort((a, b) => before(a, b) || a - b);
}

function selectTopByMemorization(input: PolicyInput, k: number): Uint32Array {
  const { memorization: m, difficulty: d } = input.scores;
  // Ties in memorization go to the harder example (higher difficulty), then to input order.
  return rank(input.ids.length, (a, b) => m[b]! - m[a]! || d[b]! - d[a]!).subarray(0, k);
}

function selectTopByLoss(input: PolicyInput, k: number): Uint32Array {
  const d = input.scores.difficulty;
  return rank(input.ids.length, (a, b) => d[b]! - d[a]!).subarray(0, k);
}

function selectRandom(n: number, k: number, seed: number): Uint32Array {
  const pool = new Uint32Array(n);
  for (let i = 0; i < n; i++) pool[i] = i;
  const random = mulberry32(seed);
  // Partial Fisher–Yates: the first k slots become a uniform sample without replacement.
  for (let j = 0; j < k; j++) {
    const r = j + Math.floor(random() * (n - j));
    const tmp = pool[j]!;
    pool[j] = pool[r]!;
    pool[r] = tmp;
  }
  return pool.subarray(0, k).sort();
}

function selectQuadrant(input: PolicyInput, q: Quadrant): number[] {
  const code = QUADRANT_CODE[q];
  const codes = input.quadrants.quadrant;
  const out: number[] = [];
  for (let i = 0; i < codes.length; i++) if (codes[i] === code) out.push(i);
  return out;
}

/**
 * Runs a policy. Proposal order: by rank for the top-x % policies (most memorized / highest
 * loss first), input order for the random and quadrant policies.
 *
 * - pruneTopByMemorization: the floor(x % · N) examples of highest memorization; ties go to
 *   higher difficulty, then to earlier input position. Examples with memorization 0 are
 *   included if x % reaches past the memorized ones.
 * - pruneTopByLoss (baseline): the floor(x % · N) examples of highest *difficulty* (mean loss
 *   over the first Te epochs, the loss the scores keep); ties to earlier input position.
 * - pruneRandom (baseline): a uniform sample of floor(x % · N) examples, mulberry32(seed)
 *   driving a partial Fisher–Yates shuffle of the input positions.
 * - pruneQuadrant / downweightQuadrant: every example in the quadrant.
 * x = 0 proposes nothing.
 */
export function applyPolicy(
  spec: PolicySpec,
  scores: PolicyInput["scores"],
  quadrants: QuadrantAssignment,
  ids: readonly string[],
  ctx: PolicyContext = {},
): InterventionProposal[] {
  const policy = parsePolicySpec(spec);
  const input: PolicyInput = { ids, scores, quadrants };
  if (ctx.runId !== undefined) input.runId = ctx.runId;
  checkLengths(input);
  const n = ids.length;
  switch (policy.name) {
    case "pruneTopByMemorization":
      return propose(policy, input, selectTopByMemorization(input, countOf(policy.params.percent, n)), "PRUNE", 0);
    case "pruneTopByLoss":
      return propose(policy, input, selectTopByLoss(input, countOf(policy.params.percent, n)), "PRUNE", 0);
    case "pruneRandom":
      return propose(policy, input, selectRandom(n, countOf(policy.params.percent, n), policy.params.seed), "PRUNE", 0);
    case "pruneQuadrant":
      return propose(policy, input, selectQuadrant(input, policy.params.quadrant), "PRUNE", 0);
    case "downweightQuadrant":
      return propose(policy, input, selectQuadrant(input, policy.params.quadrant), "DOWNWEIGHT", policy.params.weight);
  }
}

function run(spec: PolicySpec, input: PolicyInput): InterventionProposal[] {
  const ctx: PolicyContext = {};
  if (input.runId !== undefined) ctx.runId = input.runId;
  return applyPolicy(spec, input.scores, input.quadrants, input.ids, ctx);
}

/** Prune the top `percent` % of examples by memorization (the paper's intervention). */
export function pruneTopByMemorization(input: PolicyInput, percentValue: number): InterventionProposal[] {
  return run({ name: "pruneTopByMemorization", params: { percent: percentValue } }, input);
}

/** Baseline: prune the top `percent` % by difficulty (early-epoch mean loss). */
export function pruneTopByLoss(input: PolicyInput, percentValue: number): InterventionProposal[] {
  return run({ name: "pruneTopByLoss", params: { percent: percentValue } }, input);
}

/** Baseline: prune a seeded uniform random `percent` % of examples. */
export function pruneRandom(input: PolicyInput, percentValue: number, seed: number): InterventionProposal[] {
  return run({ name: "pruneRandom", params: { percent: percentValue, seed } }, input);
}

/** Prune every example of a quadrant. */
export function pruneQuadrant(input: PolicyInput, q: Quadrant): InterventionProposal[] {
  return run({ name: "pruneQuadrant", params: { quadrant: q } }, input);
}

/** Down-weight every example of a quadrant to `weight` ∈ (0, 1). */
export function downweightQuadrant(input: PolicyInput, q: Quadrant, weight: number): InterventionProposal[] {
  return run({ name: "downweightQuadrant", params: { quadrant: q, weight } }, input);
}
