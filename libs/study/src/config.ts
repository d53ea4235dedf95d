/**
 * The one schema of an intervention study's configuration (zod, no TensorFlow.js: the API
 * validates `startStudy`'s config with it, `@gdc/study/config`; the worker parses the stored
 * config with it; `gdc study` builds one from its flags). Everything is optional: `{}` runs the
 * default study — on the version's examples when the study names a version, else on the bundled
 * corpus. `resolveStudyOptions` (options.ts) turns it into runInterventionStudy's options.
 */
import { z } from "zod";
import { MEMORIZATION_SIGNALS } from "@gdc/cartography";
import { trainingOverridesSchema } from "@gdc/model/config";

import { ConfigError } from "@gdc/model/config";
export { ConfigError, parseConfig } from "@gdc/model/config";

const unitInterval = z.number().min(0).max(1);

export const studyScoringSchema = z
  .object({
    forgetEventsOver: z.enum(["epoch", "presentation"]).optional(),
    learnedBy: z.enum(["auto", "loss", "accuracy"]).optional(),
    memorizationSignal: z.enum(MEMORIZATION_SIGNALS).optional(),
    lateEpochs: z.number().int().min(1).optional(),
    epsilon: z.number().optional(),
    tau: unitInterval.optional(),
    earlyEpochs: z.number().int().min(1).optional(),
    quadrants: z.object({ qDifficulty: unitInterval.optional(), qMemorization: unitInterval.optional() }).strict().optional(),
  })
  .strict()
  .refine((s) => !(s.epsilon !== undefined && s.learnedBy === "accuracy"), { message: "epsilon applies only with learnedBy loss", path: ["epsilon"] })
  .refine((s) => !(s.tau !== undefined && s.learnedBy === "loss"), { message: "tau applies only with learnedBy accuracy", path: ["tau"] });

export const studyConfigSchema = z
  .object({
    seeds: z
      .array(z.number().int().min(0).max(0xffffffff))
      .min(1)
      .max(10)
      .refine((s) => new Set(s).size === s.length, "seeds must be distinct")
      .optional(),
    epochs: z.number().int().min(1).max(200).optional(),
    prunePercent: z.number().min(0).max(100).optional(),
    downweight: z.number().gt(0).lt(1).optional(),
    references: z.number().int().min(1).max(100_000).optional(),
    /** Bundled-corpus size (studies without a version or corpus file). */
    passages: z.number().int().min(10).max(100_000).optional(),
    /** Which bundled corpus (studies without a version or corpus file; default moby-dick). */
    corpus: z.enum(["moby-dick", "sotu"]).optional(),
    /** Retrain prune arms for the baseline's number of optimizer steps too (default true). */
    equalSteps: z.boolean().optional(),
    /** Audit the equal-steps retrains' canaries as well (default false). */
    auditEqualSteps: z.boolean().optional(),
    /** The small configuration of `gdc study --quick`. */
    quick: z.boolean().optional(),
    /** Synthetic canaries: by default only when the corpus has none; given: inserted; false: never. */
    canaries: z
      .union([
        z.literal(false),
        z
          .object({
            seed: z.number().int().min(0).optional(),
            repetitions: z.array(z.number().int().min(1).max(1000)).min(1).optional(),
            perLevel: z.number().int().min(1).max(50).optional(),
          })
          .strict(),
      ])
      .optional(),
    /** Training overrides (libs/model's one schema; a given architecture fills its missing sizes). */
    training: trainingOverridesSchema.optional(),
    scoring: studyScoringSchema.optional(),
  })
  .strict();

/** A study's configuration as stored on Study.config (input form: every field optional). */
export type StudyConfig = z.input<typeof studyConfigSchema>;
export type ParsedStudyConfig = z.output<typeof studyConfigSchema>;

/**
 * `corpus` and `passages` choose the bundled corpus; a study over a dataset version or a corpus
 * file has its corpus already. Throws a ConfigError naming the field given in vain.
 */
export function assertCorpusChoice(config: Pick<StudyConfig, "corpus" | "passages">, hasOwnCorpus: boolean): void {
  if (!hasOwnCorpus) return;
  if (config.corpus !== undefined)
    throw new ConfigError("corpus", "names a bundled corpus, but this study has its own corpus (a dataset version or a corpus file)");
  if (config.passages !== undefined)
    throw new ConfigError("passages", "applies only to the bundled corpus, but this study has its own corpus (a dataset version or a corpus file)");
}
