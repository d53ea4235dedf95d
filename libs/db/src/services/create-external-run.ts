import type { Database } from "../database.ts";
import { auditedTransaction, type Actor } from "../audit.ts";
import { badInput } from "../errors.ts";
import type { DynamicsSource, Prisma, Run } from "../generated/prisma/client.ts";
import { checkEpochs, parseRunScoringConfig } from "./run-scoring-config.ts";
import { checkRunName, createRunWithSnapshot, type RunVersionOptions } from "./run-snapshot.ts";

export interface CreateExternalRunOptions extends RunVersionOptions {
  /**
   * A RELEASED version (a DRAFT only with allowDraft). canaries default to what the trainer can
   * have: none on a released version (its export holds none), the draft's own on a draft.
   */
  versionId: string;
  name?: string | null;
  epochs: number;
  /** The trainer's framework (PyTorch, JAX, …), kept as the run's backend. */
  framework?: string | null;
  dynamicsSource?: DynamicsSource | null;
  scoringConfig?: Record<string, unknown> | null;
}

/**
 * Registers a run trained elsewhere: EXTERNAL, RUNNING from the start, with the same snapshot
 * of the version's training examples as a tracked run (a RELEASED version unless allowDraft).
 * Its dynamics then arrive through ingestDynamics (matched by example key) until finishRun.
 */
export async function createExternalRun(db: Database, actor: Actor, options: CreateExternalRunOptions): Promise<Run> {
  const epochs = checkEpochs(options.epochs);
  const scoringConfig = parseRunScoringConfig(options.scoringConfig, epochs);
  const name = checkRunName(options.name);
  const framework = options.framework?.trim() || null;
  if (framework && framework.length > 100) throw badInput("framework", "must be at most 100 characters");
  const dynamicsSource = options.dynamicsSource ?? "TRAIN_FORWARD";
  if (dynamicsSource !== "TRAIN_FORWARD" && dynamicsSource !== "EVAL_PASS") throw badInput("dynamicsSource", "must be TRAIN_FORWARD or EVAL_PASS");

  return auditedTransaction(db, actor, async (tx) => {
    const { run, examples, canaries, onDraft } = await createRunWithSnapshot(
      tx,
      options.versionId,
      {
        name,
        kind: "EXTERNAL",
        status: "RUNNING",
        epochs,
        backend: framework,
        dynamicsSource,
        scoringConfig: scoringConfig as Prisma.InputJsonValue,
        createdById: actor.userId,
        startedAt: new Date(),
      },
      "record dynamics for",
      { allowDraft: options.allowDraft, canaries: options.canaries, defaultCanaries: "onDraft" },
    );
    // Progress of an external run counts cells received out of examples × epochs.
    const updated = await tx.run.update({ where: { id: run.id }, data: { progressSteps: examples * epochs } });
    return {
      result: updated,
      audit: {
        action: "run.createExternal",
        targetType: "Run",
        targetId: run.id,
        after: { versionId: run.versionId, onDraft, canaries, name, kind: "EXTERNAL", epochs, backend: framework, dynamicsSource, examples, scoringConfig },
      },
    };
  });
}
