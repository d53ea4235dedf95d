import { assertDynamicsShape, type DynamicsMatrix } from "./dynamics.ts";
import { ConfigError, InvalidDynamicsValueError } from "./errors.ts";
import { maxBefore, medianOfFloat32, minFrom, selectKth } from "./quantiles.ts";

export type LearnedBy = "loss" | "accuracy";

/**
 * The memorization signals, all from the same dynamics (no extra training pass), each oriented
 * so that higher means "more memorized". `memorization` is one of them, chosen per run.
 *
 * - `lossDrop`: mean loss over the first Te epochs minus mean loss over the last Tl epochs
 *   (nats). What the model learned about this example beyond what it knew early: a secret
 *   repeated k times starts expensive (random digits) and ends nearly free.
 * - `relativeLossDrop`: 1 − late / early loss (0 when the early loss is 0): the loss relative
 *   to a reference, here the run's own early epochs (as Carlini et al. 2021 rank extraction
 *   candidates by the ratio of the model's loss to a reference's).
 * - `excessLossDrop`: how much lower this example's late loss is than that of a typical example
 *   of the same run that started equally hard, in log space. With x = ln(early + δ) and
 *   y = ln(late + δ) for every example (δ = EXCESS_LOSS_FLOOR, so that a loss of 0 has a
 *   logarithm), fit y ≈ a + b·x by least squares over the run's examples; the signal is
 *   (a + b·xᵢ) − yᵢ. The reference is the run's own cohort: relativeLossDrop assumes every
 *   example keeps the same share of its early loss (b = 1), but hard ordinary text keeps more
 *   of it (b ≈ 0.6 in both studies), so relativeLossDrop over-ranks merely hard text.
 * - `accuracyGain`: mean accuracy over the last Tl epochs minus over the first Te.
 * - `meanLoss`: mean loss over all epochs, the cumulative-loss proxy of Jiang et al.'s C-score
 *   (a low C-score, i.e. a high cumulative loss, marks atypical examples that must be
 *   memorized to be fit).
 * - `forgetFrequency`: the paper's memorization, forget events / (T − 1) (DESIGN.md §1).
 */
export const MEMORIZATION_SIGNALS = ["lossDrop", "relativeLossDrop", "excessLossDrop", "accuracyGain", "meanLoss", "forgetFrequency"] as const;
export type MemorizationSignal = (typeof MEMORIZATION_SIGNALS)[number];

/**
 * The default memorization signal for each kind of input, chosen by validation
 * (docs/study/README.md):
 * - language-model input (fractional, per-token accuracies): `excessLossDrop`. It put the most
 *   copies of canaries repeated ≥ 4 times in the top 10 % (the prune budget) of the Moby-Dick
 *   study, where it was chosen, and again out of sample in the State of the Union study.
 *   Ordinary text keeps an irreducible loss (the entropy of language) that grows with how hard
 *   it started; a memorized secret ends far below what text that started equally hard ends at.
 *   relativeLossDrop (the default before) ranks by the same idea with the slope fixed at 1 and
 *   has a slightly higher ROC-AUC, but fewer canary copies inside the budget.
 * - classifier input (every accuracy 0 or 1): `lossDrop`, ROC-AUC 0.999 for flipped labels on
 *   the digits fixture. There every clean example's loss goes to ~0 as well, so the relative
 *   drop ranks clean examples highest (AUC 0.30) and must not be used.
 */
export const DEFAULT_MEMORIZATION_SIGNALS = {
  languageModel: "excessLossDrop",
  classifier: "lossDrop",
} as const satisfies Record<string, MemorizationSignal>;

/** How the memorization signal was chosen: as configured, or from the kind of input. */
export type MemorizationSignalSource = "configured" | "classifier-input" | "language-model-input";

/** The setting that reproduces the paper's data map exactly. */
export const PAPER_MEMORIZATION_SIGNAL: MemorizationSignal = "forgetFrequency";

export function isMemorizationSignal(value: unknown): value is MemorizationSignal {
  return typeof value === "string" && (MEMORIZATION_SIGNALS as readonly string[]).includes(value);
}

/** How "learned" was decided: as configured, or chosen from the accuracies ("auto"). */
export type LearnedBySource = "configured" | "binary-accuracy" | "fractional-accuracy";

/** What the caller may set; everything else gets DESIGN.md §1's defaults. */
export interface ScoringConfig {
  /**
   * "loss": learned ⇔ loss < ε. "accuracy": learned ⇔ acc ≥ τ. "auto" (default): "accuracy"
   * when every accuracy is 0 or 1 (classifier input, where learned ⇔ correct gives allenai's
   * forgetfulness and Toneva et al.'s forget events exactly), else "loss".
   */
  learnedBy?: LearnedBy | "auto";
  /**
   * Which signal `memorization` is. Default: DEFAULT_MEMORIZATION_SIGNALS for the input, i.e.
   * `lossDrop` when every accuracy is 0 or 1 (classifier input), else `excessLossDrop`.
   */
  memorizationSignal?: MemorizationSignal;
  /** Tl, the last epochs that the late loss and accuracy average over. Default Te. */
  lateEpochs?: number;
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
  /** "configured", or what "auto" saw: every accuracy 0/1 ("binary-accuracy") or not. */
  learnedBySource: LearnedBySource;
  /** The signal `memorization` is. */
  memorizationSignal: MemorizationSignal;
  /** "configured", or the kind of input the default was chosen for. */
  memorizationSignalSource: MemorizationSignalSource;
  /** ε used (null with learnedBy "accuracy"). */
  epsilon: number | null;
  epsilonSource: "median" | "absolute" | null;
  /** τ used (null with learnedBy "loss"). */
  tau: number | null;
  earlyEpochs: number;
  /** Tl: the late window of lossDrop, relativeLossDrop, excessLossDrop and accuracyGain is epochs T − Tl … T − 1. */
  lateEpochs: number;
  epochs: number;
  examples: number;
}

/** Per-example scores, index i ↔ `ids[i]` of the scored matrix. */
export interface Scores {
  config: ResolvedScoringConfig;
  /** Mean loss over the first Te epochs. */
  difficulty: Float64Array;
  /** The signal `config.memorizationSignal` names (the same array as that signal's field). */
  memorization: Float64Array;
  /** The paper's memorization: forgetEvents / (T − 1); 0 when T = 1 (no transition to forget in). */
  forgetFrequency: Float64Array;
  /** difficulty − mean loss of the last Tl epochs. */
  lossDrop: Float64Array;
  /** 1 − (mean loss of the last Tl epochs) / difficulty; 0 when difficulty is 0. */
  relativeLossDrop: Float64Array;
  /** (a + b·ln(difficulty + δ)) − ln(late loss + δ), a and b the run's least-squares fit. */
  excessLossDrop: Float64Array;
  /** Mean accuracy of the last Tl epochs − mean accuracy of the first Te. */
  accuracyGain: Float64Array;
  /** Mean loss over all T epochs. */
  meanLoss: Float64Array;
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

/**
 * δ of excessLossDrop (nats): added to the early and late losses before their logarithm, so
 * that an example learned to a loss of exactly 0 (common for classifiers) has a finite score.
 * Far below any loss a language model reaches on text, so it leaves those ranks alone.
 */
export const EXCESS_LOSS_FLOOR = 1e-6;

/** Below this population variance of ln(early + δ) the fit's slope is 0 (no spread to fit). */
export const EXCESS_FIT_MIN_VARIANCE = 1e-12;

export function defaultEarlyEpochs(epochs: number): number {
  return Math.max(1, Math.ceil(epochs / 4));
}

/**
 * An interval [lo, hi) believed to hold the median loss, so that the scoring pass can decide
 * `loss < ε` for every cell outside it before ε is known exactly. lo = hi means ε is known.
 */
export interface MedianBracket {
  lo: number;
  hi: number;
  /** Fraction of the sample inside [lo, hi): sizes the buffer for the cells inside. */
  insideShare: number;
}

/** Sample size for the bracket: ±4.5 σ of the sample median spans ~0.9 % of all cells. */
const SAMPLE_SIZE = 1 << 18;
const BRACKET_HALF_WIDTH = Math.ceil(4.5 * Math.sqrt(SAMPLE_SIZE) * 0.5);

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Brackets the median of the loss matrix from a strided sample. The stride is coprime with the
 * epoch count, so the sample walks through every epoch, and regular in memory, so it is cheap.
 * The resulting ε never depends on the sample (a miss only costs time), so no randomness is
 * needed. Small matrices get their exact median (lo = hi = ε).
 */
export function medianBracket(loss: Float32Array, epochs: number): MedianBracket {
  const n = loss.length;
  if (n <= 2 * SAMPLE_SIZE) {
    const epsilon = medianOfCopy(loss);
    return { lo: epsilon, hi: epsilon, insideShare: 0 };
  }
  let stride = Math.floor(n / SAMPLE_SIZE);
  while (gcd(stride, epochs) !== 1) stride++;
  const size = Math.floor(n / stride);
  const sample = new Float32Array(size);
  for (let j = 0, at = stride >>> 1; j < size; j++, at += stride) sample[j] = loss[at]!;
  const mid = size >>> 1;
  const lo = selectKth(sample, mid - BRACKET_HALF_WIDTH);
  const upper = selectKth(sample, mid + BRACKET_HALF_WIDTH);
  // hi is exclusive: step just past the upper sample value so ties with it fall inside.
  const hi = nextFloat32Up(upper);
  let insideSample = 0;
  for (let j = 0; j < size; j++) insideSample += +(sample[j]! >= lo && sample[j]! < hi);
  return { lo, hi, insideShare: insideSample / size };
}

/** Exact median (numpy.median) of a copy, by quickselect. */
function medianOfCopy(values: Float32Array): number {
  const copy = values.slice();
  const n = copy.length;
  const k2 = n >>> 1;
  const upper = selectKth(copy, k2);
  if (n % 2 === 1) return upper;
  // After selecting rank k2, rank k2 − 1 is the largest value to its left.
  return (maxBefore(copy, k2) + upper) / 2;
}

function nextFloat32Up(x: number): number {
  if (!(x >= 0 && x < Infinity)) return x;
  const view = new Float32Array([x]);
  new Int32Array(view.buffer)[0]!++;
  return view[0]!;
}

/** True when every accuracy is exactly 0 or 1 (stops at the first that is not). */
export function isBinaryAccuracy(acc: Float32Array): boolean {
  for (let j = 0; j < acc.length; j++) {
    const a = acc[j]!;
    if (a !== 0 && a !== 1) return false;
  }
  return acc.length > 0;
}

/** "auto" resolved against the matrix's accuracies. */
export function resolveLearnedBy(
  config: Pick<ScoringConfig, "learnedBy" | "epsilon" | "tau">,
  acc: Float32Array,
): { learnedBy: LearnedBy; source: LearnedBySource } {
  const requested = config.learnedBy ?? "auto";
  if (requested === "loss" || requested === "accuracy") return { learnedBy: requested, source: "configured" };
  if (requested !== "auto") {
    throw new ConfigError("learnedBy", `must be "auto", "loss" or "accuracy", got ${JSON.stringify(requested)}`);
  }
  // An explicit ε or τ says which criterion is meant.
  if (config.epsilon !== undefined) return { learnedBy: "loss", source: "configured" };
  if (config.tau !== undefined) return { learnedBy: "accuracy", source: "configured" };
  return isBinaryAccuracy(acc) ? { learnedBy: "accuracy", source: "binary-accuracy" } : { learnedBy: "loss", source: "fractional-accuracy" };
}

function resolveStaticConfig(config: ScoringConfig, epochs: number, learnedBy: LearnedBy) {
  const memorizationSignal = config.memorizationSignal ?? null;
  if (memorizationSignal !== null && !isMemorizationSignal(memorizationSignal)) {
    throw new ConfigError("memorizationSignal", `must be one of ${MEMORIZATION_SIGNALS.join(", ")}, got ${JSON.stringify(memorizationSignal)}`);
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
  const lateEpochs = config.lateEpochs ?? earlyEpochs;
  if (!Number.isInteger(lateEpochs) || lateEpochs < 1 || lateEpochs > epochs) {
    throw new ConfigError("lateEpochs", `must be an integer in [1, ${epochs}] (the number of epochs), got ${lateEpochs}`);
  }
  return { earlyEpochs, lateEpochs, memorizationSignal };
}

/**
 * Scores every example of a run (DESIGN.md §1) in one pass over the matrix, with no
 * per-example objects and no copy of the matrix.
 *
 * The default ε is the exact median of all losses (numpy.median: mean of the two middle values
 * for an even count). To avoid a second full pass, a sample first brackets the median in
 * [lo, hi); the pass then decides `loss < ε` for every cell outside the bracket, and only rows
 * with a cell inside it are revisited once ε is pinned down from those cells. If the bracket
 * misses (probability ~10⁻⁵), an exact two-pass radix select and a full recount take over.
 *
 * Throws InvalidDynamicsValueError (naming example id and epoch) on a NaN/±∞ loss or an
 * accuracy outside [0, 1]; ConfigError on a bad config; DynamicsShapeError on bad dimensions.
 */
export function computeScores(dyn: DynamicsMatrix, config: ScoringConfig = {}): Scores {
  assertDynamicsShape(dyn);
  const learned = resolveLearnedByFast(config, dyn.acc);
  resolveStaticConfig(config, dyn.epochs, learned.learnedBy);
  if (learned.source === "binary-accuracy") {
    // The sample said 0/1 accuracy; the forget-event pass checks every accuracy on the way, and
    // a fractional one the sample missed sends the whole matrix down the loss path after all.
    const scores = scoreWithBracket(dyn, config, learned, null);
    if (scores !== null) return scores;
    return scoreByLoss(dyn, config, { learnedBy: "loss", source: "fractional-accuracy" });
  }
  if (learned.learnedBy === "loss") return scoreByLoss(dyn, config, learned);
  return scoreWithBracket(dyn, config, learned, null)!;
}

function scoreByLoss(dyn: DynamicsMatrix, config: ScoringConfig, learned: { learnedBy: LearnedBy; source: LearnedBySource }): Scores {
  const bracket = config.epsilon === undefined ? medianBracket(dyn.loss, dyn.epochs) : { lo: config.epsilon, hi: config.epsilon, insideShare: 0 };
  return scoreWithBracket(dyn, config, learned, bracket)!;
}

/** Accuracies probed, evenly spaced, before "auto" trusts them to be 0/1 (see resolveLearnedByFast). */
const BINARY_PROBES = 4096;

/**
 * resolveLearnedBy without its full pass over the accuracies: a fractional accuracy among
 * BINARY_PROBES evenly spaced cells settles "loss" at once (language-model input); otherwise
 * the answer is "accuracy" on trust, and the forget-event pass, which reads every accuracy
 * anyway, confirms it (computeScores falls back to "loss" when it does not).
 */
function resolveLearnedByFast(
  config: Pick<ScoringConfig, "learnedBy" | "epsilon" | "tau">,
  acc: Float32Array,
): { learnedBy: LearnedBy; source: LearnedBySource } {
  if ((config.learnedBy ?? "auto") !== "auto" || config.epsilon !== undefined || config.tau !== undefined || acc.length === 0) {
    return resolveLearnedBy(config, acc);
  }
  const step = Math.max(1, Math.floor(acc.length / BINARY_PROBES));
  for (let j = 0; j < acc.length; j += step) {
    const a = acc[j]!;
    if (a !== 0 && a !== 1) return { learnedBy: "loss", source: "fractional-accuracy" };
  }
  return { learnedBy: "accuracy", source: "binary-accuracy" };
}

/**
 * computeScores with the median bracket given (null for learnedBy "accuracy"). Exported for
 * tests that force the bracket-miss path; the result never depends on the bracket.
 */
export function computeScoresWithBracket(dyn: DynamicsMatrix, config: ScoringConfig, bracket: MedianBracket | null): Scores {
  assertDynamicsShape(dyn);
  return scoreWithBracket(dyn, config, resolveLearnedBy(config, dyn.acc), bracket)!;
}

function scoreWithBracket(
  dyn: DynamicsMatrix,
  config: ScoringConfig,
  { learnedBy, source: learnedBySource }: { learnedBy: LearnedBy; source: LearnedBySource },
  bracket: MedianBracket | null,
): Scores | null {
  const { ids, epochs: T, loss, acc } = dyn;
  const N = ids.length;
  const { earlyEpochs: Te, lateEpochs: Tl, memorizationSignal: configuredSignal } = resolveStaticConfig(config, T, learnedBy);
  const epsilonIsMedian = learnedBy === "loss" && config.epsilon === undefined;

  const out: RowOutputs = {
    difficulty: new Float64Array(N),
    confidence: new Float64Array(N),
    variability: new Float64Array(N),
    correctness: new Float64Array(N),
    forgetEvents: new Int32Array(N),
    neverLearned: new Uint8Array(N),
    ambiguousRow: new Uint8Array(N),
    lossDrop: new Float64Array(N),
    relativeLossDrop: new Float64Array(N),
    excessLossDrop: new Float64Array(N),
    accuracyGain: new Float64Array(N),
    meanLoss: new Float64Array(N),
  };
  const { difficulty, confidence, variability, correctness, forgetEvents, neverLearned, ambiguousRow } = out;
  const forgetFrequency = new Float64Array(N);
  // Sized from the sample so that it (almost) never grows mid-scan: growing there costs a
  // deoptimisation of the whole scan loop. Capped, so a degenerate matrix (every loss equal)
  // grows it instead of reserving a copy of the matrix up front.
  const expectedInside = Math.ceil(1.25 * (bracket?.insideShare ?? 0) * loss.length);
  const inside = new InsideCells(Math.min(expectedInside, loss.length >>> 3) + 4 * T + 1024);
  const below = scanRows(dyn, Te, Tl, bracket, out, inside);
  // forgetFrequency is written only once forget events are counted: until then it is scratch.
  fitExcessLossDrop(difficulty, out.excessLossDrop, forgetFrequency);

  let epsilon: number | null = null;
  let tau: number | null = null;
  if (learnedBy === "loss") {
    epsilon = epsilonIsMedian ? medianFromBracket(loss.length, inside.values.subarray(0, inside.count), below) : config.epsilon!;
    if (epsilon === null) {
      // The bracket missed the median: select it exactly and recount every row.
      epsilon = medianOfFloat32(loss);
      countForgetEventsByLoss(loss, T, epsilon, null, forgetEvents, neverLearned);
    } else {
      countForgetEventsByLoss(loss, T, epsilon, ambiguousRow, forgetEvents, neverLearned);
    }
  } else {
    tau = config.tau ?? DEFAULT_TAU;
    const binary = countForgetEventsByAccuracy(acc, T, tau, forgetEvents, neverLearned);
    // "auto" chose accuracy from a sample; a fractional accuracy means it must learn by loss.
    if (learnedBySource === "binary-accuracy" && !binary) return null;
  }
  if (T > 1) {
    const transitions = T - 1;
    for (let i = 0; i < N; i++) forgetFrequency[i] = forgetEvents[i]! / transitions;
  } else {
    forgetFrequency.fill(0); // it held fitExcessLossDrop's scratch
  }
  const { signal: memorizationSignal, source: memorizationSignalSource } = chooseMemorizationSignal(configuredSignal, learnedBySource, acc);
  const signals: Record<MemorizationSignal, Float64Array> = {
    lossDrop: out.lossDrop,
    relativeLossDrop: out.relativeLossDrop,
    excessLossDrop: out.excessLossDrop,
    accuracyGain: out.accuracyGain,
    meanLoss: out.meanLoss,
    forgetFrequency,
  };

  return {
    config: {
      learnedBy,
      learnedBySource,
      memorizationSignal,
      memorizationSignalSource,
      epsilon,
      epsilonSource: learnedBy === "loss" ? (epsilonIsMedian ? "median" : "absolute") : null,
      tau,
      earlyEpochs: Te,
      lateEpochs: Tl,
      epochs: T,
      examples: N,
    },
    difficulty,
    memorization: signals[memorizationSignal],
    forgetFrequency,
    lossDrop: out.lossDrop,
    relativeLossDrop: out.relativeLossDrop,
    excessLossDrop: out.excessLossDrop,
    accuracyGain: out.accuracyGain,
    meanLoss: out.meanLoss,
    forgetEvents,
    neverLearned,
    confidence,
    variability,
    correctness,
  };
}

/**
 * The configured signal, or the default for the kind of input. "auto" has already told 0/1
 * accuracies from fractional ones; with "learned" configured, the accuracies are checked here.
 */
function chooseMemorizationSignal(
  configured: MemorizationSignal | null,
  learnedBySource: LearnedBySource,
  acc: Float32Array,
): { signal: MemorizationSignal; source: MemorizationSignalSource } {
  if (configured !== null) return { signal: configured, source: "configured" };
  const classifier = learnedBySource === "configured" ? isBinaryAccuracy(acc) : learnedBySource === "binary-accuracy";
  return classifier
    ? { signal: DEFAULT_MEMORIZATION_SIGNALS.classifier, source: "classifier-input" }
    : { signal: DEFAULT_MEMORIZATION_SIGNALS.languageModel, source: "language-model-input" };
}

interface RowOutputs {
  difficulty: Float64Array;
  confidence: Float64Array;
  variability: Float64Array;
  correctness: Float64Array;
  forgetEvents: Int32Array;
  neverLearned: Uint8Array;
  /** Rows whose forget events must be recounted once ε is exact. */
  ambiguousRow: Uint8Array;
  lossDrop: Float64Array;
  relativeLossDrop: Float64Array;
  /** The late loss after the scan; the signal after fitExcessLossDrop. */
  excessLossDrop: Float64Array;
  accuracyGain: Float64Array;
  meanLoss: Float64Array;
}

/** Loss cells inside the median bracket, gathered row by row after the scan has flagged them. */
class InsideCells {
  values: Float32Array;
  count = 0;

  constructor(capacity: number) {
    this.values = new Float32Array(capacity);
  }

  /** Appends the cells of row `base … base + T` that lie in [lo, hi). */
  gatherRow(loss: Float32Array, base: number, T: number, lo: number, hi: number): void {
    if (this.count + T > this.values.length) {
      const bigger = new Float32Array(this.values.length * 2 + T);
      bigger.set(this.values.subarray(0, this.count));
      this.values = bigger;
    }
    const values = this.values;
    let count = this.count;
    for (let t = 0; t < T; t++) {
      const l = loss[base + t]!;
      values[count] = l;
      count += +(l >= lo && l < hi);
    }
    this.count = count;
  }
}

/**
 * The single pass over the matrix (its own small function so the JIT optimises the loop on
 * its own). Fills every per-row output, counts forget events as if ε were the bracket's lower
 * end, flags the rows that need a recount once ε is exact (those with a cell inside the
 * bracket), and returns how many cells lie below the bracket. Validates every cell.
 */
function scanRows(dyn: DynamicsMatrix, Te: number, Tl: number, bracket: MedianBracket | null, out: RowOutputs, inside: InsideCells): number {
  const { epochs: T, loss, acc } = dyn;
  const N = dyn.ids.length;
  const { difficulty, confidence, variability, correctness, forgetEvents, neverLearned, ambiguousRow } = out;
  const { lossDrop, relativeLossDrop, excessLossDrop, accuracyGain, meanLoss } = out;
  const lateFrom = T - Tl;
  // With learnedBy "accuracy" no loss is "learned" here and nothing is inside; forget events
  // are counted from acc afterwards.
  const lo = bracket === null ? -Infinity : bracket.lo;
  const hi = bracket === null ? -Infinity : bracket.hi;
  let below = 0;

  // One read of each cell, one exp, and bookkeeping without unpredictable branches (the
  // comparisons become 0/1 numbers; the validity test is always true on good data). Epoch 0
  // is peeled so its probability can serve as the shift of a one-pass variance (exactly 0 for
  // a constant row, no E[p²] − E[p]² cancellation).
  for (let i = 0, base = 0; i < N; i++, base += T) {
    const l0 = loss[base]!;
    const a0 = acc[base]!;
    const p0 = Math.exp(-l0);
    let earlyLoss = l0;
    let lossSum = l0;
    let shiftedSum = 0;
    let shiftedSquares = 0;
    let accSum = a0;
    let earlyAcc = a0;
    let lateLoss = lateFrom === 0 ? l0 : 0;
    let lateAcc = lateFrom === 0 ? a0 : 0;
    let valid = l0 >= 0 && l0 < Infinity && a0 >= 0 && a0 <= 1;
    const first = +(l0 < lo);
    let prev = first;
    let changes = 0;
    let rowBelow = first;
    let rowInside = +(l0 < hi) - first;
    for (let t = 1; t < T; t++) {
      const l = loss[base + t]!;
      const a = acc[base + t]!;
      if (t < Te) {
        earlyLoss += l;
        earlyAcc += a;
      }
      if (t >= lateFrom) {
        lateLoss += l;
        lateAcc += a;
      }
      lossSum += l;
      const d = Math.exp(-l) - p0;
      shiftedSum += d;
      shiftedSquares += d * d;
      accSum += a;
      if (!(l >= 0 && l < Infinity && a >= 0 && a <= 1)) valid = false;
      const cur = +(l < lo);
      changes += prev ^ cur;
      prev = cur;
      rowBelow += cur;
      rowInside += +(l < hi) - cur;
    }
    if (!valid) throwFirstInvalidCell(dyn, i);
    const meanShift = shiftedSum / T;
    const early = earlyLoss / Te;
    const late = lateLoss / Tl;
    difficulty[i] = early;
    lossDrop[i] = early - late;
    relativeLossDrop[i] = early > 0 ? 1 - late / early : 0;
    excessLossDrop[i] = late;
    accuracyGain[i] = lateAcc / Tl - earlyAcc / Te;
    meanLoss[i] = lossSum / T;
    confidence[i] = p0 + meanShift;
    variability[i] = Math.sqrt(Math.max(0, shiftedSquares / T - meanShift * meanShift));
    correctness[i] = accSum / T;
    // Forget events (1 → 0) = (all changes + first − last) / 2: 0 → 1 and 1 → 0 alternate.
    forgetEvents[i] = (changes + first - prev) >> 1;
    neverLearned[i] = rowBelow === 0 ? 1 : 0;
    below += rowBelow;
    if (rowInside !== 0) {
      ambiguousRow[i] = 1;
      inside.gatherRow(loss, base, T, lo, hi);
    }
  }
  return below;
}

/**
 * excessLossDrop from the early losses and the scan's late losses (in `out`, overwritten): the
 * least-squares line y ≈ a + b·x of y = ln(late + δ) on x = ln(early + δ) over every example,
 * then (a + b·xᵢ) − yᵢ = b·(xᵢ − x̄) − (yᵢ − ȳ). The sums are shifted by the first example's
 * (x, y), as the scan's variance is, so near-constant columns do not cancel; b = 0 when the
 * early losses are all (numerically) equal: var(x) ≤ EXCESS_FIT_MIN_VARIANCE. The logarithms
 * are kept out of the scan's loop (which they slow down as a whole) and taken once each; `xs`
 * (length N) holds the centred x between the passes, so that no new array is touched (on these
 * machines first-touching 8 MB costs about as much as the logarithms).
 */
function fitExcessLossDrop(difficulty: Float64Array, out: Float64Array, xs: Float64Array): void {
  const N = out.length;
  if (N === 0) return;
  const x0 = Math.log(difficulty[0]! + EXCESS_LOSS_FLOOR);
  const y0 = Math.log(out[0]! + EXCESS_LOSS_FLOOR);
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < N; i++) {
    const dx = Math.log(difficulty[i]! + EXCESS_LOSS_FLOOR) - x0;
    const dy = Math.log(out[i]! + EXCESS_LOSS_FLOOR) - y0;
    xs[i] = dx;
    out[i] = dy;
    sx += dx;
    sy += dy;
    sxx += dx * dx;
    sxy += dx * dy;
  }
  const mx = sx / N;
  const my = sy / N;
  const varX = sxx / N - mx * mx;
  const b = varX > EXCESS_FIT_MIN_VARIANCE ? (sxy / N - mx * my) / varX : 0;
  for (let i = 0; i < N; i++) out[i] = b * (xs[i]! - mx) - (out[i]! - my);
}

function throwFirstInvalidCell(dyn: DynamicsMatrix, i: number): void {
  const { ids, epochs: T, loss, acc } = dyn;
  for (let t = 0; t < T; t++) {
    const l = loss[i * T + t]!;
    if (!(Number.isFinite(l) && l >= 0)) throw new InvalidDynamicsValueError(ids[i]!, t, "loss", l);
    const a = acc[i * T + t]!;
    if (!(a >= 0 && a <= 1)) throw new InvalidDynamicsValueError(ids[i]!, t, "acc", a);
  }
}

/**
 * The exact median from the cells inside the bracket, given that `below` cells lie under it.
 * Null when the middle ranks fall outside the bracket.
 */
function medianFromBracket(cells: number, inside: Float32Array, below: number): number | null {
  const k2 = cells >>> 1;
  const k1 = cells % 2 === 0 ? k2 - 1 : k2;
  if (k1 < below || k2 >= below + inside.length) return null;
  const a = selectKth(inside, k1 - below);
  if (k1 === k2) return a;
  // After selecting rank k1, rank k1 + 1 is the smallest value to its right.
  return (a + minFrom(inside, k1 - below + 1)) / 2;
}

/**
 * Toneva et al.'s forget events with learned ⇔ loss < ε, for all rows or the flagged ones.
 * Branch-free like the scan: the rows recounted are exactly those with losses near ε.
 */
function countForgetEventsByLoss(
  loss: Float32Array,
  T: number,
  epsilon: number,
  onlyRows: Uint8Array | null,
  forgetEvents: Int32Array,
  neverLearned: Uint8Array,
): void {
  const N = forgetEvents.length;
  for (let i = 0, base = 0; i < N; i++, base += T) {
    if (onlyRows !== null && onlyRows[i] === 0) continue;
    const first = +(loss[base]! < epsilon);
    let prev = first;
    let changes = 0;
    for (let t = 1; t < T; t++) {
      const cur = +(loss[base + t]! < epsilon);
      changes += prev ^ cur;
      prev = cur;
    }
    forgetEvents[i] = (changes + first - prev) >> 1;
    neverLearned[i] = changes === 0 && first === 0 ? 1 : 0;
  }
}

/**
 * Toneva et al.'s forget events with learned ⇔ acc ≥ τ (τ = 1 on 0/1 accuracy is their count).
 * Returns whether every accuracy was 0 or 1 (isBinaryAccuracy, on the same reads).
 */
function countForgetEventsByAccuracy(acc: Float32Array, T: number, tau: number, forgetEvents: Int32Array, neverLearned: Uint8Array): boolean {
  const N = forgetEvents.length;
  let fractional = 0;
  for (let i = 0, base = 0; i < N; i++, base += T) {
    const a0 = acc[base]!;
    const first = +(a0 >= tau);
    // Branch-free (a branch on random 0/1 accuracies mispredicts half the time).
    fractional |= +(a0 !== 0) & +(a0 !== 1);
    let prev = first;
    let changes = 0;
    for (let t = 1; t < T; t++) {
      const a = acc[base + t]!;
      const cur = +(a >= tau);
      fractional |= +(a !== 0) & +(a !== 1);
      changes += prev ^ cur;
      prev = cur;
    }
    forgetEvents[i] = (changes + first - prev) >> 1;
    neverLearned[i] = changes === 0 && first === 0 ? 1 : 0;
  }
  return fractional === 0 && acc.length > 0;
}
