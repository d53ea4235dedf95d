import { ConfigError, runModelConfigSchema, parseConfig } from "@gdc/model/config";
import type { Database } from "../database.ts";
import { auditedTransaction, type Actor } from "../audit.ts";
import { badInput } from "../errors.ts";
import type { JobQueue } from "../queue.ts";
import type { Prisma, Run } from "../generated/prisma/client.ts";
import { checkEpochs, parseRunScoringConfig } from "./run-scoring-config.ts";
import { checkRunName, createRunWithSnapshot, type RunVersionOptions } from "./run-snapshot.ts";

export interface StartRunOptions extends RunVersionOptions {
  /** A RELEASED version (a DRAFT only with allowDraft); canaries default to true: the privacy audit. */
  versionId: string;
  name?: string | null;
  epochs: number;
  seed: number;
  /** Model hyper-parameters for the trainer, checked against libs/model's schema here; stored as given. */
  modelConfig?: Record<string, unknown> | null;
  /** Scoring options (learnedBy, ε, τ, Te, quantiles or thresholds), see run-scoring-config.ts. */
  scoringConfig?: Record<string, unknown> | null;
  /** A policy spec applied once the run is scored; kept as `scoringConfig.policy`. */
  policy?: unknown;
}

/**
 * Starts a TRACKED run: the run (QUEUED), its snapshot of the version's training examples and
 * the `train` job are created in one transaction, with the audit event. The version must be
 * RELEASED unless `allowDraft` (run-snapshot.ts); its canaries are trained on unless
 * `canaries: false`.
 */
export async function startRun(db: Database, queue: JobQueue, actor: Actor, options: StartRunOptions): Promise<Run> {
  const epochs = checkEpochs(options.epochs);
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff) {
    throw badInput("seed", `must be an integer in [0, 4294967295], got ${options.seed}`);
  }
  if (options.modelConfig != null && (typeof options.modelConfig !== "object" || Array.isArray(options.modelConfig))) {
    throw badInput("modelConfig", "must be a JSON object");
  }
  // Refused here, naming the field, rather than by the worker once the run is queued.
  try {
    parseConfig(runModelConfigSchema, options.modelConfig ?? {});
  } catch (err) {
    if (err instanceof ConfigError) throw badInput(err.field ? `modelConfig.${err.field}` : "modelConfig", err.reason);
    throw err;
  }
  const scoringConfig = parseRunScoringConfig(
    options.policy == null ? options.scoringConfig : { ...(options.scoringConfig ?? {}), policy: options.policy },
    epochs,
  );
  const name = checkRunName(options.name);

  return auditedTransaction(db, actor, async (tx) => {
    const { run, examples, canaries, onDraft } = await createRunWithSnapshot(
      tx,
      options.versionId,
      {
        name,
        kind: "TRACKED",
        status: "QUEUED",
        epochs,
        seed: options.seed,
        modelConfig: (options.modelConfig ?? {}) as Prisma.InputJsonValue,
        scoringConfig: scoringConfig as Prisma.InputJsonValue,
        createdById: actor.userId,
      },
      "train on",
      { allowDraft: options.allowDraft, canaries: options.canaries, defaultCanaries: "always" },
    );
    await queue.enqueue("train", { runId: run.id }, { tx, singletonKey: run.id });
    return {
      result: run,
      audit: {
        action: "run.start",
        targetType: "Run",
        targetId: run.id,
        after: {
          versionId: run.versionId,
          onDraft,
          canaries,
          name,
          kind: "TRACKED",
          epochs,
          seed: options.seed,
          examples,
          scoringConfig,
          modelConfig: options.modelConfig ?? {},
        },
      },
    };
  });
}
