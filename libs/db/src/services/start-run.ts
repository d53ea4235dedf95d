import type { Database } from "../database.ts";
import { auditedTransaction, type Actor } from "../audit.ts";
import { badInput, conflict, notFound } from "../errors.ts";
import type { JobQueue } from "../queue.ts";
import type { Prisma, Run } from "../generated/prisma/client.ts";
import { checkEpochs, parseRunScoringConfig, SNAPSHOT_RUN_EXAMPLES_SQL } from "./run-scoring-config.ts";

export interface StartRunOptions {
  versionId: string;
  name?: string | null;
  epochs: number;
  seed: number;
  /** Model hyper-parameters for the trainer (libs/model); stored as given. */
  modelConfig?: Record<string, unknown> | null;
  /** Scoring options (learnedBy, ε, τ, Te, quantiles or thresholds), see run-scoring-config.ts. */
  scoringConfig?: Record<string, unknown> | null;
  /** A policy spec applied once the run is scored; kept as `scoringConfig.policy`. */
  policy?: unknown;
}

/**
 * Starts a TRACKED run: the run (QUEUED), its snapshot of the version's training examples and
 * the `train` job are created in one transaction, with the audit event.
 */
export async function startRun(db: Database, queue: JobQueue, actor: Actor, options: StartRunOptions): Promise<Run> {
  const epochs = checkEpochs(options.epochs);
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff) {
    throw badInput("seed", `must be an integer in [0, 4294967295], got ${options.seed}`);
  }
  if (options.modelConfig != null && (typeof options.modelConfig !== "object" || Array.isArray(options.modelConfig))) {
    throw badInput("modelConfig", "must be a JSON object");
  }
  const scoringConfig = parseRunScoringConfig(
    options.policy == null ? options.scoringConfig : { ...(options.scoringConfig ?? {}), policy: options.policy },
    epochs,
  );
  const name = (options.name ?? "").trim();
  if (name.length > 200) throw badInput("name", "must be at most 200 characters");

  return auditedTransaction(db, actor, async (tx) => {
    const version = await tx.datasetVersion.findUnique({ where: { id: options.versionId } });
    if (!version) throw notFound("DatasetVersion", options.versionId);
    const run = await tx.run.create({
      data: {
        versionId: version.id,
        name,
        kind: "TRACKED",
        status: "QUEUED",
        epochs,
        seed: options.seed,
        modelConfig: (options.modelConfig ?? {}) as Prisma.InputJsonValue,
        scoringConfig: scoringConfig as Prisma.InputJsonValue,
        createdById: actor.userId,
      },
    });
    const examples = await tx.$executeRawUnsafe(SNAPSHOT_RUN_EXAMPLES_SQL, run.id, version.id);
    if (examples === 0) throw conflict(`DatasetVersion ${version.id} has no TRAIN examples to train on`);
    await queue.enqueue("train", { runId: run.id }, { tx, singletonKey: run.id });
    return {
      result: run,
      audit: {
        action: "run.start",
        targetType: "Run",
        targetId: run.id,
        after: { versionId: version.id, name, kind: "TRACKED", epochs, seed: options.seed, examples, scoringConfig, modelConfig: options.modelConfig ?? {} },
      },
    };
  });
}
