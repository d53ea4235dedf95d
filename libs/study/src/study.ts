/**
 * The intervention study (DESIGN.md §1): for each seed, train the baseline with tracking on the
 * train split plus canaries, score it, and for every policy retrain the same model with the same
 * seed, schedule and tokenizer on the curated weights; audit every model's canaries and measure
 * its validation perplexity. No database: callers (CLI, worker job) supply the corpus and store
 * the report.
 */
import { DEFAULT_MEMORIZATION_SIGNALS, QUADRANTS, type Quadrant } from "@gdc/cartography";
import { CharTokenizer, selectBackend, trainLanguageModel, type BackendName, type LanguageModel, type TrainingConfig, type TrainingProgress } from "@gdc/model";
import { auditCanaries, CANARY_FRAMES, type CanaryFinding, type CanaryOptions } from "@gdc/privacy";
import { BUNDLED_CORPORA, bundledStudyCorpus, StudyInputError, validateCorpus, type StudyPassage } from "./corpus.ts";
import { buildStudyData, type StudyData } from "./examples.ts";
import {
  curatedWeights,
  defaultStudyPolicies,
  duplicateCopies,
  resolvePolicySpec,
  SUMMARY_POLICY,
  validatePolicies,
  type ResolvedPolicySpec,
  type StudyPolicy,
} from "./policies.ts";
import {
  STUDY_REPORT_FORMAT,
  type ArmMetric,
  type ArmResult,
  type ArmSeedResult,
  type CanaryScoreSummary,
  type DataMap,
  type EqualStepsResult,
  type EqualStepsSeedResult,
  type RepetitionResult,
  type SeedScoring,
  type StudyReport,
} from "./report-types.ts";
import { scoreBaseline, type StudyScores, type StudyScoringConfig } from "./scoring.ts";
import { SignalsAccumulator } from "./signals.ts";
import { pairwiseJaccard, spreadOf, type BootstrapOptions } from "./stats.ts";
import { compareExposures, summarize } from "./verdict.ts";

export type StudyTrainingConfig = Omit<TrainingConfig, "seed">;

export interface InterventionStudyOptions {
  /** Passages (train/validation, optionally canaries). Default: the bundled Moby-Dick sample. */
  corpus?: readonly StudyPassage[];
  /** Names the corpus in the report. */
  corpusSource?: string;
  /** Synthetic canaries to insert; null inserts none (the corpus must then hold canaries). */
  canaries?: CanaryOptions | null;
  training?: Partial<StudyTrainingConfig>;
  scoring?: StudyScoringConfig;
  /** Budget x of the prune policies, in % (default 10). */
  prunePercent?: number;
  /** w of the down-weight policy (default 0.5). */
  downweight?: number;
  /** Replaces the default policies (then prunePercent/downweight only label the report). */
  policies?: StudyPolicy[];
  seeds?: number[];
  /** |R| reference secrets per canary (default DEFAULT_REFERENCES). */
  references?: number;
  /** Retrain every prune arm for the baseline's number of optimizer steps too (default true). */
  equalSteps?: boolean;
  /** Audit the equal-steps models' canaries as well (default false: perplexity only). */
  auditEqualSteps?: boolean;
  /** Resamples and seed of the bootstrap intervals (default 2000, seed 0). */
  bootstrap?: { resamples?: number; seed?: number };
  backend?: readonly BackendName[];
  signal?: AbortSignal;
}

export interface StudyProgress {
  phase: "train" | "audit";
  seed: number;
  seedIndex: number;
  seeds: number;
  /** "baseline", a policy name, or a policy name + "@equal-steps". */
  arm: string;
  armLabel: string;
  /** Trainings finished before this one, and in all. */
  trainingsDone: number;
  trainings: number;
  training: TrainingProgress | null;
}

/**
 * Defaults, chosen by measurement (docs/study/README.md): a 1-layer d=32 transformer trains the
 * ~950 short examples (≤ 64 characters) at ~80 examples/s on 2 wasm cores, so the default study
 * — per seed a baseline, 6 arms and 5 equal-steps retrains — fits ~15 minutes for 5 seeds. At 8
 * epochs and learning rate 0.008 it measurably memorizes the canaries: mean exposure ≈ 7.5 bits
 * (the references average ≈ 1.4), with extractions among those repeated 16 times.
 */
export const DEFAULT_STUDY_TRAINING: StudyTrainingConfig = {
  model: { architecture: "transformer", modelSize: 32, heads: 2, layers: 1, feedForwardSize: 64, maxPositions: 80 },
  epochs: 8,
  batchSize: 32,
  learningRate: 0.008,
  maxTokens: 66,
  clipNorm: 1,
};

/**
 * 20 canaries, 4 at each repetition level 1, 2, 4, 8, 16, each in its own sentence frame
 * (CANARY_FRAMES, e.g. "the wifi password at the cabin is <6 digits>").
 */
export const DEFAULT_CANARIES: CanaryOptions = { seed: 2024, repetitions: [1, 2, 4, 8, 16], perLevel: 4, frames: CANARY_FRAMES };
export const DEFAULT_SEEDS = [1, 2, 3, 4, 5];
export const DEFAULT_REFERENCES = 500;
export const DEFAULT_BOOTSTRAP = { resamples: 2000, seed: 0, level: 0.95 };

/**
 * A study small enough for CI and `gdc study --quick`: 300 bundled passages, 6 canaries, a tiny
 * transformer, 3 epochs, 2 seeds, 200 reference secrets. It checks the machinery, not the
 * science.
 */
export const QUICK_STUDY = {
  corpusLimit: 300,
  training: {
    model: { architecture: "transformer", modelSize: 16, heads: 2, layers: 1, feedForwardSize: 32, maxPositions: 80 },
    epochs: 3,
    batchSize: 32,
    learningRate: 0.01,
    maxTokens: 66,
    clipNorm: 1,
  } satisfies StudyTrainingConfig,
  canaries: { seed: 2024, repetitions: [1, 4, 16], perLevel: 2, frames: CANARY_FRAMES } satisfies CanaryOptions,
  seeds: [1, 2],
  references: 200,
} as const;

function resolveTraining(partial: Partial<StudyTrainingConfig> = {}): StudyTrainingConfig {
  return { ...DEFAULT_STUDY_TRAINING, ...partial, model: partial.model ?? DEFAULT_STUDY_TRAINING.model };
}

export async function runInterventionStudy(options: InterventionStudyOptions = {}, onProgress?: (p: StudyProgress) => void): Promise<StudyReport> {
  const started = performance.now();
  const corpus = options.corpus ?? bundledStudyCorpus();
  const corpusSource = options.corpusSource ?? (options.corpus ? "caller" : BUNDLED_CORPORA["moby-dick"].source);
  validateCorpus(corpus, corpusSource);
  const hasCorpusCanaries = corpus.some((p) => p.canary);
  const synthetic = options.canaries === undefined ? (hasCorpusCanaries ? null : DEFAULT_CANARIES) : options.canaries;
  const data = buildStudyData(corpus, synthetic);
  const training = resolveTraining(options.training);
  const scoring: StudyScoringConfig = options.scoring ?? {};
  const prunePercent = options.prunePercent ?? 10;
  const downweight = options.downweight ?? 0.5;
  const policies = options.policies ?? defaultStudyPolicies(prunePercent, downweight);
  validatePolicies(policies);
  const seeds = options.seeds ?? DEFAULT_SEEDS;
  if (seeds.length === 0) throw new StudyInputError("seeds", "at least one seed is needed");
  if (new Set(seeds).size !== seeds.length) throw new StudyInputError("seeds", "seeds must be distinct");
  for (const s of seeds) if (!Number.isInteger(s) || s < 0 || s > 0xffffffff) throw new StudyInputError("seeds", `${s} is not an integer in [0, 2³²)`);
  const references = options.references ?? DEFAULT_REFERENCES;
  if (!Number.isInteger(references) || references < 1) throw new StudyInputError("references", "must be a positive integer");
  const equalSteps = options.equalSteps ?? true;
  const auditEqualSteps = options.auditEqualSteps ?? false;
  const bootstrap: Required<BootstrapOptions> = { ...DEFAULT_BOOTSTRAP, ...options.bootstrap };

  const backend = await selectBackend(options.backend);
  const ids = data.examples.map((e) => e.id);
  const texts = data.examples.map((e) => e.text);
  // One vocabulary for every arm and seed: curated retrains start from the baseline's weights.
  const tokenizer = CharTokenizer.fit([...texts, ...data.validationTexts]);
  // Arms that prune something get an equal-steps retrain; which ones is known before training.
  const duplicates = duplicateCopies(texts).length;
  const prunes = (p: StudyPolicy) => {
    const spec = resolvePolicySpec(p, 0);
    if (spec.name === "dedupExact") return duplicates > 0;
    if (spec.name === "downweightQuadrant") return false;
    return "percent" in spec.params && Math.floor((spec.params.percent * ids.length) / 100) > 0;
  };
  const equalStepsArms = new Set(equalSteps ? policies.filter(prunes).map((p) => p.name) : []);
  const trainings = seeds.length * (1 + policies.length + equalStepsArms.size);
  let trainingsDone = 0;
  let equalStepsTrainings = 0;
  let skipped = 0;
  let baselineSteps = 0;
  let trainingSeconds = 0;
  let auditSeconds = 0;
  let presented = 0;
  let parameters = 0;

  const armNames = ["baseline", ...policies.map((p) => p.name)];
  const perSeed = new Map<string, ArmSeedResult[]>(armNames.map((n) => [n, []]));
  const selections = new Map<string, Set<string>[]>(policies.map((p) => [p.name, []]));
  const hotspotSets: Set<string>[] = [];
  const topDecileSets: Set<string>[] = [];
  const seedScoring: SeedScoring[] = [];
  let dataMap: DataMap | null = null;
  const signals = new SignalsAccumulator(prunePercent, scoring.memorizationSignal ?? DEFAULT_MEMORIZATION_SIGNALS.languageModel);
  const canaryOf = new Map(data.canaries.map((c) => [c.id, c]));
  const copyRepetitions = data.examples.map((e) => (e.canaryId === null ? null : canaryOf.get(e.canaryId)!.repetitions));

  for (const [seedIndex, seed] of seeds.entries()) {
    const config: TrainingConfig = { ...training, seed };
    const arm = async (name: string, label: string, weights: Float32Array | undefined, track: boolean, steps?: number, audit = true) => {
      const progress = (p: TrainingProgress | null, phase: StudyProgress["phase"]) =>
        onProgress?.({ phase, seed, seedIndex, seeds: seeds.length, arm: name, armLabel: label, trainingsDone, trainings, training: p });
      progress(null, "train");
      const t0 = performance.now();
      const result = await trainLanguageModel({
        config: steps === undefined ? config : { ...config, steps },
        texts,
        ...(weights ? { weights } : {}),
        validationTexts: data.validationTexts,
        tokenizer,
        tracking: track,
        onProgress: (p) => progress(p, "train"),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const seconds = (performance.now() - t0) / 1000;
      trainingSeconds += seconds;
      presented += Math.min(result.steps * config.batchSize, result.trainedExamples * result.history.length);
      parameters = result.model.parameterCount;
      trainingsDone++;
      try {
        if (!audit) return { result, findings: null, seconds };
        progress(null, "audit");
        const a0 = performance.now();
        const findings = auditAll(result.model, data, references);
        auditSeconds += (performance.now() - a0) / 1000;
        return { result, findings, seconds };
      } finally {
        result.model.dispose();
      }
    };

    const base = await arm("baseline", "Baseline (no intervention)", undefined, true);
    const dynamics = base.result.dynamics!;
    baselineSteps = base.result.steps;
    const scores = scoreBaseline(ids, texts, dynamics, scoring, { batchSize: config.batchSize, seed });
    const { forgetEventsOver: _unit, quadrants: _q, ...signalScoring } = scoring;
    signals.add(seed, ids, dynamics, signalScoring, copyRepetitions);
    const baselinePerplexity = base.result.validationPerplexity!;
    perSeed.get("baseline")!.push(seedResult(seed, withFindings(base), data, null, baselinePerplexity, null, null));
    hotspotSets.push(quadrantSet(ids, scores, "HOTSPOT_MEMORIZED"));
    topDecileSets.push(topByMemorization(ids, scores, 10));
    seedScoring.push(scoringSummary(seed, scores, data));
    if (dataMap === null) dataMap = dataMapOf(seed, ids, scores, data);

    for (const policy of policies) {
      const policyScores = policy.scoring
        ? scoreBaseline(ids, texts, dynamics, { ...scoring, ...policy.scoring }, { batchSize: config.batchSize, seed })
        : scores;
      const curated = curatedWeights(policy, seed, ids, policyScores, texts);
      selections.get(policy.name)!.push(new Set(curated.affected.map((i) => ids[i]!)));
      const run = await arm(policy.name, policy.label, curated.weights, false);
      let same: EqualStepsSeedResult | null = null;
      if (equalStepsArms.has(policy.name) && curated.pruned > 0) {
        const eq = await arm(
          `${policy.name}@equal-steps`,
          `${policy.label}, at the baseline's ${baselineSteps} steps`,
          curated.weights,
          false,
          baselineSteps,
          auditEqualSteps,
        );
        equalStepsTrainings++;
        same = equalStepsResult(eq, data, baselinePerplexity);
      } else if (equalStepsArms.has(policy.name)) {
        trainingsDone++; // counted in `trainings`, but nothing was pruned for this seed: same schedule
        skipped++;
      }
      perSeed.get(policy.name)!.push(seedResult(seed, withFindings(run), data, curated, baselinePerplexity, curated.spec, same));
    }
  }

  const baselineSeeds = perSeed.get("baseline")!;
  const arms: ArmResult[] = [
    armResult("baseline", "Baseline (no intervention)", "baseline", null, baselineSeeds, null, baselineSeeds, bootstrap),
    ...policies.map((p) =>
      armResult(p.name, p.label, p.kind, p.spec, perSeed.get(p.name)!, pairwiseJaccard(selections.get(p.name)!), baselineSeeds, bootstrap),
    ),
  ];
  const summaryPolicy = arms.some((a) => a.name === SUMMARY_POLICY)
    ? SUMMARY_POLICY
    : (policies.find((p) => p.kind === "gendatacarto")?.name ?? policies[0]?.name ?? null);
  const hotspotJaccard = pairwiseJaccard(hotspotSets);
  const signalsTable = signals.table();
  const { summary, verdict } = summarize(arms, summaryPolicy, hotspotJaccard.mean, policyPercent(policies, summaryPolicy), bootstrap, signalsTable);
  const seconds = (performance.now() - started) / 1000;
  return {
    format: STUDY_REPORT_FORMAT,
    createdAt: new Date().toISOString(),
    backend: backend.backend,
    summary,
    verdict,
    policies: arms,
    canaries: data.canaries.map((c) => ({ id: c.id, repetitions: c.repetitions, prefix: c.prefix })),
    signals: signalsTable,
    stability: { hotspotJaccard, topMemorizationJaccard: pairwiseJaccard(topDecileSets) },
    scoring: seedScoring,
    dataMap,
    config: {
      corpus: {
        source: corpusSource,
        trainPassages: data.ordinaryExamples,
        validationPassages: data.validationTexts.length,
        canaryCopies: data.examples.length - data.ordinaryExamples,
        trainingExamples: data.examples.length,
      },
      canaries: {
        canaries: data.canaries.length,
        repetitions: [...new Set(data.canaries.map((c) => c.repetitions))].sort((a, b) => a - b),
        secretLength: [...new Set(data.auditGroups.map((g) => g.set.secretLength))],
        references,
        frames: new Set(data.canaries.map((c) => c.prefix.replace(/[a-z]{5}/g, "{name}"))).size,
      },
      training: {
        model: training.model,
        epochs: training.epochs,
        batchSize: training.batchSize,
        learningRate: training.learningRate,
        maxTokens: training.maxTokens,
        clipNorm: training.clipNorm === undefined ? 1 : training.clipNorm,
        parameters,
        baselineSteps,
      },
      scoring: { forgetEventsOver: "epoch", memorizationSignal: scoring.memorizationSignal ?? DEFAULT_MEMORIZATION_SIGNALS.languageModel, ...scoring },
      seeds: [...seeds],
      prunePercent,
      bootstrap,
      auditEqualSteps,
    },
    timing: {
      seconds,
      trainings: trainingsDone - skipped,
      equalStepsTrainings,
      trainingSeconds,
      auditSeconds,
      examplesPerSecond: presented / Math.max(trainingSeconds, 1e-9),
    },
  };
}

function policyPercent(policies: readonly StudyPolicy[], name: string | null): number | null {
  const spec = policies.find((p) => p.name === name)?.spec;
  return spec && "percent" in spec.params ? spec.params.percent : null;
}

function auditAll(model: LanguageModel, data: StudyData, references: number): CanaryFinding[] {
  return data.auditGroups.flatMap((g) => auditCanaries(model, g.set, { references, seed: 0 }).findings);
}

interface ArmRun {
  result: { validationPerplexity: number | null; trainedExamples: number; steps: number; history: readonly unknown[] };
  findings: CanaryFinding[];
  seconds: number;
}

function withFindings(run: Omit<ArmRun, "findings"> & { findings: CanaryFinding[] | null }): ArmRun {
  return { ...run, findings: run.findings! };
}

/** Exposure (rank) of every canary, in data.canaries order. */
function exposuresOf(findings: readonly CanaryFinding[], data: StudyData): number[] {
  const byId = new Map(findings.map((f) => [f.canaryId, f.exposureRank]));
  return data.canaries.map((c) => byId.get(c.id)!);
}

function equalStepsResult(
  run: Omit<ArmRun, "findings"> & { findings: CanaryFinding[] | null },
  data: StudyData,
  baselinePerplexity: number,
): EqualStepsSeedResult {
  const perplexity = run.result.validationPerplexity!;
  const f = run.findings;
  const extracted = f ? f.filter((x) => x.extracted).length : null;
  return {
    steps: run.result.steps,
    epochs: run.result.history.length,
    validationPerplexity: perplexity,
    perplexityChange: (perplexity - baselinePerplexity) / baselinePerplexity,
    extractionRate: f ? extracted! / f.length : null,
    extracted,
    meanExposureRank: f ? mean(f.map((x) => x.exposureRank)) : null,
    canaryExposures: f ? exposuresOf(f, data) : null,
    trainingSeconds: run.seconds,
  };
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

function byRepetitions(findings: readonly CanaryFinding[]): RepetitionResult[] {
  const levels = [...new Set(findings.map((f) => f.repetitions))].sort((a, b) => a - b);
  return levels.map((k) => {
    const at = findings.filter((f) => f.repetitions === k);
    return {
      repetitions: k,
      canaries: at.length,
      extractionRate: at.filter((f) => f.extracted).length / at.length,
      meanExposureRank: mean(at.map((f) => f.exposureRank)),
      meanExposureSkewNormal: mean(at.map((f) => f.exposureSkewNormal)),
    };
  });
}

function seedResult(
  seed: number,
  run: ArmRun,
  data: StudyData,
  curated: { weights: Float32Array; pruned: number; downweighted: number } | null,
  baselinePerplexity: number,
  spec: ResolvedPolicySpec | null,
  equalSteps: EqualStepsSeedResult | null,
): ArmSeedResult {
  const { findings } = run;
  const perplexity = run.result.validationPerplexity!;
  let copies = 0;
  let caught = 0;
  const fullyCaught = new Map<string, boolean>();
  data.examples.forEach((e, i) => {
    if (e.canaryId === null) return;
    copies++;
    const hit = curated !== null && curated.weights[i]! < 1;
    if (hit) caught++;
    fullyCaught.set(e.canaryId, (fullyCaught.get(e.canaryId) ?? true) && hit);
  });
  const extracted = findings.filter((f) => f.extracted);
  return {
    seed,
    extractionRate: extracted.length / findings.length,
    extracted: extracted.length,
    canaries: findings.length,
    meanExposureRank: mean(findings.map((f) => f.exposureRank)),
    meanExposureSkewNormal: mean(findings.map((f) => f.exposureSkewNormal)),
    validationPerplexity: perplexity,
    perplexityChange: (perplexity - baselinePerplexity) / baselinePerplexity,
    caughtShare: copies === 0 ? 0 : caught / copies,
    caughtCanaryShare: fullyCaught.size === 0 ? 0 : [...fullyCaught.values()].filter(Boolean).length / fullyCaught.size,
    pruned: curated?.pruned ?? 0,
    downweighted: curated?.downweighted ?? 0,
    trainedExamples: run.result.trainedExamples,
    byRepetitions: byRepetitions(findings),
    extractedCanaries: extracted.map((f) => f.canaryId),
    canaryExposures: exposuresOf(findings, data),
    spec,
    steps: run.result.steps,
    trainingSeconds: run.seconds,
    equalSteps,
  };
}

const ARM_METRICS: ArmMetric[] = [
  "extractionRate",
  "meanExposureRank",
  "meanExposureSkewNormal",
  "validationPerplexity",
  "perplexityChange",
  "caughtShare",
  "caughtCanaryShare",
];

function armResult(
  name: string,
  label: string,
  kind: ArmResult["kind"],
  spec: ArmResult["spec"],
  perSeed: ArmSeedResult[],
  selectionJaccard: ArmResult["selectionJaccard"],
  baseline: readonly ArmSeedResult[],
  bootstrap: Required<BootstrapOptions>,
): ArmResult {
  const spread = Object.fromEntries(ARM_METRICS.map((m) => [m, spreadOf(perSeed.map((s) => s[m]))])) as ArmResult["spread"];
  const levels = [...new Set(perSeed.flatMap((s) => s.byRepetitions.map((r) => r.repetitions)))].sort((a, b) => a - b);
  const byReps: RepetitionResult[] = levels.map((k) => {
    const rows = perSeed.flatMap((s) => s.byRepetitions.filter((r) => r.repetitions === k));
    return {
      repetitions: k,
      canaries: rows[0]?.canaries ?? 0,
      extractionRate: mean(rows.map((r) => r.extractionRate)),
      meanExposureRank: mean(rows.map((r) => r.meanExposureRank)),
      meanExposureSkewNormal: mean(rows.map((r) => r.meanExposureSkewNormal)),
    };
  });
  return {
    name,
    label,
    kind,
    spec,
    extractionRate: spread.extractionRate.mean,
    meanExposureRank: spread.meanExposureRank.mean,
    meanExposureSkewNormal: spread.meanExposureSkewNormal.mean,
    validationPerplexity: spread.validationPerplexity.mean,
    perplexityChange: spread.perplexityChange.mean,
    caughtShare: spread.caughtShare.mean,
    caughtCanaryShare: spread.caughtCanaryShare.mean,
    spread,
    byRepetitions: byReps,
    selectionJaccard,
    ...exposureOf(
      name,
      perSeed.map((s) => s.canaryExposures),
      baseline,
      bootstrap,
    ),
    equalSteps: equalStepsOf(name, perSeed, baseline, bootstrap),
    perSeed,
  };
}

function exposureOf(
  name: string,
  table: number[][],
  baseline: readonly ArmSeedResult[],
  bootstrap: Required<BootstrapOptions>,
): Pick<ArmResult, "exposure" | "exposureChange"> {
  const base = baseline.map((s) => s.canaryExposures);
  const c = compareExposures(table, base, `${name}:baseline`, bootstrap);
  return { exposure: { mean: c.a, ci: c.aCI }, exposureChange: name === "baseline" ? null : c.change };
}

function equalStepsOf(
  name: string,
  perSeed: readonly ArmSeedResult[],
  baseline: readonly ArmSeedResult[],
  bootstrap: Required<BootstrapOptions>,
): EqualStepsResult | null {
  const runs = perSeed.map((s) => s.equalSteps);
  if (runs.length === 0 || runs.some((r) => r === null)) return null;
  const eq = runs as EqualStepsSeedResult[];
  const audited = eq.every((r) => r.canaryExposures !== null);
  const exposure = audited
    ? exposureOf(
        `${name}@equal-steps`,
        eq.map((r) => r.canaryExposures!),
        baseline,
        bootstrap,
      )
    : null;
  return {
    steps: eq[0]!.steps,
    validationPerplexity: mean(eq.map((r) => r.validationPerplexity)),
    perplexityChange: spreadOf(eq.map((r) => r.perplexityChange)),
    extractionRate: audited ? mean(eq.map((r) => r.extractionRate!)) : null,
    exposure: exposure?.exposure ?? null,
    exposureChange: exposure?.exposureChange ?? null,
  };
}

function quadrantSet(ids: readonly string[], s: StudyScores, q: Quadrant): Set<string> {
  const code = QUADRANTS.indexOf(q);
  return new Set(ids.filter((_, i) => s.quadrants.quadrant[i] === code));
}

function memorizationOrder(s: StudyScores): number[] {
  const { memorization: m, difficulty: d } = s.scores;
  return Array.from(m.keys()).sort((a, b) => m[b]! - m[a]! || d[b]! - d[a]! || a - b);
}

function topByMemorization(ids: readonly string[], s: StudyScores, percent: number): Set<string> {
  const k = Math.floor((percent * ids.length) / 100);
  return new Set(
    memorizationOrder(s)
      .slice(0, k)
      .map((i) => ids[i]!),
  );
}

function scoringSummary(seed: number, s: StudyScores, data: StudyData): SeedScoring {
  const order = memorizationOrder(s);
  const rank = new Int32Array(order.length);
  order.forEach((i, r) => (rank[i] = r));
  const N = order.length;
  const canaries: CanaryScoreSummary[] = data.canaries.map((c) => {
    const copies = data.examples.flatMap((e, i) => (e.canaryId === c.id ? [i] : []));
    const quadrants: CanaryScoreSummary["quadrants"] = {};
    for (const i of copies) {
      const q = QUADRANTS[s.quadrants.quadrant[i]!]!;
      quadrants[q] = (quadrants[q] ?? 0) + 1;
    }
    return {
      canaryId: c.id,
      repetitions: c.repetitions,
      copies: copies.length,
      meanMemorization: mean(copies.map((i) => s.scores.memorization[i]!)),
      meanDifficulty: mean(copies.map((i) => s.scores.difficulty[i]!)),
      bestMemorizationPercentile: 1 - Math.min(...copies.map((i) => rank[i]!)) / N,
      quadrants,
    };
  });
  let memorized = 0;
  for (const m of s.scores.memorization) if (m > 0) memorized++;
  return {
    seed,
    config: s.scores.config,
    forgetEventsOver: s.forgetEventsOver,
    thresholds: s.quadrants.thresholds,
    counts: s.quadrants.counts,
    memorizedExamples: memorized,
    canaries,
  };
}

function dataMapOf(seed: number, ids: readonly string[], s: StudyScores, data: StudyData): DataMap {
  const round = (x: number) => Number(x.toPrecision(5));
  return {
    seed,
    ids: [...ids],
    difficulty: Array.from(s.scores.difficulty, round),
    memorization: Array.from(s.scores.memorization, round),
    quadrant: Array.from(s.quadrants.quadrant, (q) => QUADRANTS[q]!),
    canary: data.examples.map((e) => e.canaryId !== null),
  };
}
