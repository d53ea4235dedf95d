import { assertDynamicsShape, type DynamicsMatrix } from "./dynamics.ts";
import { ConfigError, InvalidDynamicsValueError } from "./errors.ts";
import { createTopBitsHistogram, medianFromTopBitsHistogram } from "./quantiles.ts";

export type LearnedBy = "loss" | "accuracy";

/** What the caller may set; everything else gets DESIGN.md §1's defaults. */
export interface ScoringConfig {
  /** "loss": learned ⇔ loss < ε (default). "accuracy": learned ⇔ acc ≥ τ. */
  learnedBy?: LearnedBy;
  /** Absolute ε (nats). Default: the median of the whole loss matrix. Only with learnedBy "loss". */
  epsilon?: number;
  /** Accuracy threshold τ in [0, 1]. Default 1 (every target token right). Only with learnedBy "accuracy". */
  tau?: number;
  /** Te, the epochs that difficulty averages over. Default max(1, ceil(T / 4)). */
  earlyEpochs?: number;
}

/** The exact configuration a result was computed with, so any score can be recomputed. */
export interface ResolvedScoringConfig {
  learnedBy: LearnedBy;
  /** ε used (null with learnedBy "accuracy"). */
  epsilon: number | null;
  epsilonSource: "median" | "absolute" | null;
  /** τ used (null with learnedBy "loss"). */
  tau: number | null;
  earlyEpochs: number;
  epochs: number;
  examples: number;
}

/** Per-example scores, index i ↔ `ids[i]` of the scored matrix. */
export interface Scores {
  config: ResolvedScoringConfig;
  /** Mean loss over the first Te epochs. */
  difficulty: Float64Array;
  /** forgetEvents / (T − 1); 0 when T = 1 (there is no transition to forget in). */
  memorization: Float64Array;
  /** Count of t ≥ 1 with learned(t − 1) && !learned(t). At most ⌊T / 2⌋. */
  forgetEvents: Int32Array;
  /** 1 when the example is learned at no epoch. */
  neverLearned: Uint8Array;
  /** mean_t exp(−loss): the probability of the target, as Swayamdipta et al.'s confidence. */
  confidence: Float64Array;
  /** Population standard deviation over t of exp(−loss) (numpy.std, ddof 0). */
  variability: Float64Array;
  /** mean_t acc (a fraction, where allenai/cartography reports a count of correct epochs). */
  correctness: Float64Array;
}

export const DEFAULT_TAU = 1;

export function defaultEarlyEpochs(epochs: number): number {
  return Math.max(1, Math.ceil(epochs / 4));
}

function resolveStaticConfig(config: ScoringConfig, epochs: number) {
  const learnedBy = config.learnedBy ?? "loss";
  if (learnedBy !== "loss" && learnedBy !== "accuracy") {
    throw new ConfigError("learnedBy", `must be "loss" or "accuracy", got ${JSON.stringify(learnedBy)}`);
  }
  if (config.epsilon !== undefined) {
    if (learnedBy !== "loss") throw new ConfigError("epsilon", 'applies only with learnedBy "loss"');
    if (!Number.isFinite(config.epsilon)) throw new ConfigError("epsilon", `must be a finite number, got ${config.epsilon}`);
  }
  if (config.tau !== undefined) {
    if (learnedBy !== "accuracy") throw new ConfigError("tau", 'applies only with learnedBy "accuracy"');
    if (!(config.tau >= 0 && config.tau <= 1)) throw new ConfigError("tau", `must be in [0, 1], got ${config.tau}`);
  }
  const earlyEpochs = config.earlyEpochs ?? defaultEarlyEpochs(epochs);
  if (!Number.isInteger(earlyEpochs) || earlyEpochs < 1 || earlyEpochs > epochs) {
    throw new ConfigError("earlyEpochs", `must be an integer in [1, ${epochs}] (the number of epochs), got ${earlyEpochs}`);
  }
  return { learnedBy, earlyEpochs };
}

/**
 * Scores every example of a run (DESIGN.md §1). Two passes over the matrix: the first computes
 * difficulty and the cartography metrics and, when ε is the median, a histogram of the loss
 * bits; the second (after one more cheap pass that pins the median down exactly) counts forget
 * events. No per-example objects, no copy of the matrix.
 *
 * Throws InvalidDynamicsValueError (naming example id and epoch) on a NaN/±∞ loss or an
 * accuracy outside [0, 1]; ConfigError on a bad config; DynamicsShapeError on bad dimensions.
 */
export function computeScores(dyn: DynamicsMatrix, config: ScoringConfig = {}): Scores {
  assertDynamicsShape(dyn);
  const { ids, epochs: T, loss, acc } = dyn;
  const N = ids.length;
  const { learnedBy, earlyEpochs: Te } = resolveStaticConfig(config, T);
  const epsilonIsMedian = learnedBy === "loss" && config.epsilon === undefined;

  const difficulty = new Float64Array(N);
  const memorization = new Float64Array(N);
  const forgetEvents = new Int32Array(N);
  const neverLearned = new Uint8Array(N);
  const confidence = new Float64Array(N);
  const variability = new Float64Array(N);
  const correctness = new Float64Array(N);

  const hist = epsilonIsMedian ? createTopBitsHistogram() : null;
  const lossBits = new Int32Array(loss.buffer, loss.byteOffset, loss.length);
  const probs = new Float64Array(T);

  for (let i = 0, base = 0; i < N; i++, base += T) {
    let earlyLoss = 0;
    let probSum = 0;
    let accSum = 0;
    for (let t = 0; t < T; t++) {
      const l = loss[base + t]!;
      // l − l is 0 for every finite l, NaN for NaN and ±∞: one comparison catches all three.
      if (!(l - l === 0)) throw new InvalidDynamicsValueError(ids[i]!, t, "loss", l);
      const a = acc[base + t]!;
      if (!(a >= 0 && a <= 1)) throw new InvalidDynamicsValueError(ids[i]!, t, "acc", a);
      if (t < Te) earlyLoss += l;
      const p = Math.exp(-l);
      probs[t] = p;
      probSum += p;
      accSum += a;
      if (hist !== null) {
        const b = lossBits[base + t]!;
        hist[((b ^ ((b >> 31) | 0x80000000)) >>> 16) & 0xffff]!++;
      }
    }
    const mean = probSum / T;
    // Two-pass variance over the row: exact 0 for constant rows, no E[p²] − E[p]² cancellation.
    let squares = 0;
    for (let t = 0; t < T; t++) {
      const d = probs[t]! - mean;
      squares += d * d;
    }
    difficulty[i] = earlyLoss / Te;
    confidence[i] = mean;
    variability[i] = Math.sqrt(squares / T);
    correctness[i] = accSum / T;
  }

  let epsilon: number | null = null;
  let tau: number | null = null;
  if (learnedBy === "loss") {
    epsilon = hist !== null ? medianFromTopBitsHistogram(loss, hist) : config.epsilon!;
    countForgetEvents(loss, N, T, (v) => v < epsilon!, forgetEvents, neverLearned);
  } else {
    tau = config.tau ?? DEFAULT_TAU;
    countForgetEvents(acc, N, T, (v) => v >= tau!, forgetEvents, neverLearned);
  }
  if (T > 1) {
    const transitions = T - 1;
    for (let i = 0; i < N; i++) memorization[i] = forgetEvents[i]! / transitions;
  }

  return {
    config: {
      learnedBy,
      epsilon,
      epsilonSource: learnedBy === "loss" ? (epsilonIsMedian ? "median" : "absolute") : null,
      tau,
      earlyEpochs: Te,
      epochs: T,
      examples: N,
    },
    difficulty,
    memorization,
    forgetEvents,
    neverLearned,
    confidence,
    variability,
    correctness,
  };
}

/** Toneva et al.'s forget events: learned at t − 1 and not at t, for t = 1 … T − 1. */
function countForgetEvents(
  values: Float32Array,
  N: number,
  T: number,
  learned: (v: number) => boolean,
  forgetEvents: Int32Array,
  neverLearned: Uint8Array,
): void {
  for (let i = 0, base = 0; i < N; i++, base += T) {
    let prev = learned(values[base]!);
    let ever = prev;
    let forgets = 0;
    for (let t = 1; t < T; t++) {
      const cur = learned(values[base + t]!);
      if (prev && !cur) forgets++;
      ever ||= cur;
      prev = cur;
    }
    forgetEvents[i] = forgets;
    neverLearned[i] = ever ? 0 : 1;
  }
}
