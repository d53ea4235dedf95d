import { z } from "zod";
import {
  ConfigError,
  MEMORIZATION_SIGNALS,
  PAPER_MEMORIZATION_SIGNAL,
  parsePolicySpec,
  type MemorizationSignal,
  type PolicySpec,
  type QuadrantOptions,
  type ScoringConfig,
} from "@gdc/cartography";
import { badInput } from "../errors.ts";

/**
 * What a run's `scoringConfig` may hold: the engine's scoring options, the quadrant thresholds
 * (quantiles by default, or absolute values) and, optionally, a policy that proposes
 * interventions once the run is scored. Validated when the run is created, so that a typo
 * fails the mutation instead of the scoring job hours later.
 */
export const runScoringConfigSchema = z.strictObject({
  learnedBy: z.enum(["auto", "loss", "accuracy"]).optional(),
  memorizationSignal: z.enum(MEMORIZATION_SIGNALS).optional(),
  epsilon: z.number().finite().optional(),
  tau: z.number().min(0).max(1).optional(),
  earlyEpochs: z.number().int().min(1).optional(),
  lateEpochs: z.number().int().min(1).optional(),
  qDifficulty: z.number().min(0).max(1).optional(),
  qMemorization: z.number().min(0).max(1).optional(),
  thresholds: z.strictObject({ difficulty: z.number().finite(), memorization: z.number().finite() }).optional(),
  policy: z.unknown().optional(),
});
export type RunScoringConfig = z.infer<typeof runScoringConfigSchema> & { policy?: PolicySpec };

/** Parses a stored or requested scoring config; `field` prefixes the error ("scoringConfig.tau: …"). */
export function parseRunScoringConfig(value: unknown, epochs: number, field = "scoringConfig"): RunScoringConfig {
  const parsed = runScoringConfigSchema.safeParse(value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw badInput([field, ...issue.path.map(String)].join("."), issue.message);
  }
  const config = parsed.data;
  for (const name of ["earlyEpochs", "lateEpochs"] as const) {
    const value = config[name];
    if (value !== undefined && value > epochs) throw badInput(`${field}.${name}`, `must be at most the number of epochs (${epochs})`);
  }
  // With learnedBy "auto" (the default) an ε means loss and a τ accuracy (libs/cartography
  // resolveLearnedBy); both at once, or either against an explicit other criterion, is a mistake.
  if (config.epsilon !== undefined && config.learnedBy === "accuracy") throw badInput(`${field}.epsilon`, 'applies only with learnedBy "loss"');
  if (config.tau !== undefined && (config.learnedBy === "loss" || (config.learnedBy !== "accuracy" && config.epsilon !== undefined))) {
    throw badInput(`${field}.tau`, 'applies only with learnedBy "accuracy"');
  }
  if (config.thresholds && (config.qDifficulty !== undefined || config.qMemorization !== undefined)) {
    throw badInput(`${field}.thresholds`, "give either absolute thresholds or quantiles (qDifficulty, qMemorization), not both");
  }
  if (config.policy === undefined || config.policy === null) {
    const { policy: _, ...rest } = config;
    return rest;
  }
  try {
    return { ...config, policy: parsePolicySpec(config.policy) };
  } catch (err) {
    if (err instanceof ConfigError) throw badInput(`${field}.${err.field}`, err.message.slice(err.field.length + 2));
    throw err;
  }
}

/** The engine's inputs from a run's config. */
export function engineOptions(config: RunScoringConfig): { scoring: ScoringConfig; quadrants: QuadrantOptions } {
  const scoring: ScoringConfig = {};
  if (config.learnedBy !== undefined) scoring.learnedBy = config.learnedBy;
  if (config.memorizationSignal !== undefined) scoring.memorizationSignal = config.memorizationSignal;
  if (config.epsilon !== undefined) scoring.epsilon = config.epsilon;
  if (config.tau !== undefined) scoring.tau = config.tau;
  if (config.earlyEpochs !== undefined) scoring.earlyEpochs = config.earlyEpochs;
  if (config.lateEpochs !== undefined) scoring.lateEpochs = config.lateEpochs;
  const quadrants: QuadrantOptions = config.thresholds
    ? { difficulty: config.thresholds.difficulty, memorization: config.thresholds.memorization }
    : {
        ...(config.qDifficulty !== undefined ? { qDifficulty: config.qDifficulty } : {}),
        ...(config.qMemorization !== undefined ? { qMemorization: config.qMemorization } : {}),
      };
  return { scoring, quadrants };
}

/**
 * The signal a scored run's `memorization` is, from its `scoringResolved`: what it recorded,
 * or "forgetFrequency" for a run scored before the signal was recorded (its memorization was
 * the forget frequency); null before scoring.
 */
export function memorizationSignalOf(scoringResolved: unknown): MemorizationSignal | null {
  if (scoringResolved === null || typeof scoringResolved !== "object" || Array.isArray(scoringResolved)) return null;
  const signal = (scoringResolved as { memorizationSignal?: unknown }).memorizationSignal;
  return (MEMORIZATION_SIGNALS as readonly unknown[]).includes(signal) ? (signal as MemorizationSignal) : PAPER_MEMORIZATION_SIGNAL;
}

/** A run's epochs: at least 1 (memorization needs ≥ 2 to be non-zero), at most 10 000. */
export function checkEpochs(epochs: unknown, field = "epochs"): number {
  if (typeof epochs !== "number" || !Number.isInteger(epochs) || epochs < 1 || epochs > 10_000) {
    throw badInput(field, `must be an integer in [1, 10000], got ${String(epochs)}`);
  }
  return epochs;
}

/**
 * The run's snapshot of its version: every TRAIN-split member (validation and test examples
 * are held out, so they have no training dynamics), ordinals 0…N−1 in import order
 * (examples.position: the order the user's records were first imported, which is what a trainer
 * calls example i), the version's weight. One INSERT … SELECT; returns N.
 * $3 (uuid[]) adds canaries a release left out (weight 1: a run may insert its dataset's
 * canaries into training, run-snapshot.ts); $4 (boolean) false leaves every canary out.
 */
export const SNAPSHOT_RUN_EXAMPLES_SQL = `
  INSERT INTO run_examples (run_id, ordinal, example_id, weight)
  SELECT $1::uuid, (row_number() OVER (ORDER BY e.position, e.id) - 1)::int, e.id, m.weight
    FROM (SELECT example_id, weight FROM version_examples WHERE version_id = $2::uuid
          UNION ALL SELECT unnest($3::uuid[]), 1::real) m
    JOIN examples e ON e.id = m.example_id
   WHERE e.split = 'TRAIN' AND ($4::boolean OR NOT e.is_canary)`;
