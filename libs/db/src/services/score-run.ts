import { assignQuadrants, CartographyError, computeScores, QUADRANTS, type QuadrantAssignment, type Scores } from "@gdc/cartography";
import type { Database } from "../database.ts";
import { auditedTransaction, type Actor, type Tx } from "../audit.ts";
import { conflict, DomainError, notFound } from "../errors.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { actorFor } from "./api-tokens.ts";
import { readDynamicsMatrix } from "./dynamics-store.ts";
import { curationDraftFor } from "./curation-draft.ts";
import { proposeInterventions } from "./propose-interventions.ts";
import { engineOptions, parseRunScoringConfig } from "./run-scoring-config.ts";

export interface ScoreRunOptions {
  runId: string;
}

export type ScoreRunResult =
  | {
      status: "SUCCEEDED";
      examples: number;
      quadrantCounts: Record<string, number>;
      /** The policy's proposals and the draft they went onto (curationDraftFor). */
      proposals: { proposed: number; skipped: number; versionId: string } | { error: string } | null;
    }
  | { status: "FAILED"; error: string }
  | { status: "SKIPPED"; reason: string };

/** Statuses a run may be scored from: after finishRun/training, or again (re-scoring). */
const SCORABLE = new Set(["SCORING", "SUCCEEDED", "FAILED"]);
/** ExampleScore rows per INSERT statement. */
const SCORE_BATCH = 50_000;

/**
 * Scores a run whose dynamics are complete: reads the matrix, runs libs/cartography's
 * computeScores and assignQuadrants with the run's config, and replaces the run's ExampleScore
 * rows in one transaction together with the resolved config (exact ε, Te, thresholds),
 * quadrant counts and status SUCCEEDED. Then, if the config holds a policy, proposes
 * interventions in the name of the run's creator: on a child draft of the run's released
 * version (its newest DRAFT child, created when it has none: curationDraftFor), or on the
 * run's version itself when the run trained on a draft (allowDraft).
 *
 * A failure of the data or the config (incomplete dynamics, bad values, bad config) marks the
 * run FAILED with the message and is returned, not thrown: retrying cannot help. Anything else
 * (a lost connection) marks it FAILED as well and is re-thrown, so that the job queue retries.
 * A CANCELLED (or not yet finished) run is skipped.
 */
export async function scoreRun(db: Database, actor: Actor, { runId }: ScoreRunOptions): Promise<ScoreRunResult> {
  const run = await db.prisma.run.findUnique({ where: { id: runId } });
  if (!run) throw notFound("Run", runId);
  if (!SCORABLE.has(run.status)) return { status: "SKIPPED", reason: `run is ${run.status}` };

  let examples: number;
  let counts: Record<string, number>;
  try {
    const config = parseRunScoringConfig(run.scoringConfig, run.epochs);
    const { scoring, quadrants: quadrantOptions } = engineOptions(config);
    const matrix = await readDynamicsMatrix(db, runId);
    const scores = computeScores(matrix, scoring);
    const assignment = assignQuadrants(scores, quadrantOptions);
    examples = matrix.ids.length;
    counts = assignment.counts;
    await auditedTransaction(
      db,
      actor,
      async (tx) => {
        const [current] = await tx.$queryRawUnsafe<{ status: string }[]>(`SELECT status FROM runs WHERE id = $1::uuid FOR UPDATE`, runId);
        if (!current || !SCORABLE.has(current.status)) throw conflict(`Run ${runId} is ${current?.status ?? "gone"}: not scored`);
        await tx.$executeRawUnsafe(`DELETE FROM example_scores WHERE run_id = $1::uuid`, runId);
        await insertScores(tx, runId, matrix.ids, scores, assignment);
        const scoringResolved = { ...scores.config, thresholds: assignment.thresholds, mapping: QUADRANT_MAPPING };
        // Keep what the trainer recorded (backend, perplexity, history); add the scoring summary.
        const trained = run.metrics && typeof run.metrics === "object" && !Array.isArray(run.metrics) ? run.metrics : {};
        const metrics = {
          ...trained,
          examples,
          quadrantCounts: assignment.counts,
          neverLearned: count(scores.neverLearned),
          scoredAt: new Date().toISOString(),
        };
        await tx.run.update({
          where: { id: runId },
          data: {
            status: "SUCCEEDED",
            scoringResolved: scoringResolved as Prisma.InputJsonValue,
            metrics: metrics as Prisma.InputJsonValue,
            error: null,
            finishedAt: new Date(),
            heartbeatAt: new Date(),
          },
        });
        return {
          result: undefined,
          audit: {
            action: "run.score",
            targetType: "Run",
            targetId: runId,
            before: { status: current.status },
            after: { status: "SUCCEEDED", scoringResolved, metrics },
          },
        };
      },
      { timeoutMs: 1_800_000 },
    );
  } catch (err) {
    const permanent = err instanceof DomainError || err instanceof CartographyError;
    const message = err instanceof Error ? err.message : String(err);
    await markFailed(db, actor, runId, message).catch(() => {});
    if (permanent) return { status: "FAILED", error: message };
    throw err;
  }

  // Proposals are a separate use case with its own transaction and audit event: scores stand
  // even if the version cannot take proposals (e.g. it was released meanwhile).
  let proposals: { proposed: number; skipped: number; versionId: string } | { error: string } | null = null;
  const policy = (run.scoringConfig as { policy?: unknown } | null)?.policy;
  if (policy != null) {
    try {
      const creator = run.createdById ? await db.prisma.user.findUnique({ where: { id: run.createdById } }) : null;
      if (!creator) throw new DomainError("CONFLICT", "the run has no creator to propose in the name of");
      const proposer = actorFor(creator);
      const target = await curationDraftFor(db, proposer, run.versionId);
      const result = await proposeInterventions(db, proposer, { versionId: target.id, runId, policy });
      proposals = { proposed: result.proposed, skipped: result.skipped, versionId: target.id };
    } catch (err) {
      const message = `scored, but the policy's interventions were not proposed: ${err instanceof Error ? err.message : String(err)}`;
      proposals = { error: message };
      await db.prisma.run.update({ where: { id: runId }, data: { error: message } });
    }
  }
  return { status: "SUCCEEDED", examples, quadrantCounts: counts, proposals };
}

export const QUADRANT_MAPPING = {
  rule: "high means strictly above the threshold; memorization 0 is never high",
  STABLE_EASY: "low difficulty, low memorization",
  AMBIGUOUS_HARD: "high difficulty, low memorization",
  HOTSPOT_MEMORIZED: "high difficulty, high memorization",
  NOISY_OUTLIER: "low difficulty, high memorization",
};

const count = (flags: Uint8Array) => flags.reduce((n, f) => n + f, 0);

/**
 * Postgres array literal of numbers: one text parameter is far cheaper to send than a JS array
 * of numbers. Each value is rounded to float32 here (Math.fround: round half to even), so that a
 * REAL column stores exactly Math.fround of the engine's value: PostgreSQL would round the
 * shortest float64 decimal instead, which lands on the other float32 when the value is a tie
 * (a loss drop, a difference of float32 losses, can be exactly one). Integers are unchanged.
 */
function numberArray(values: ArrayLike<number>, from: number, to: number): string {
  const parts = new Array<string>(to - from);
  for (let i = from; i < to; i++) parts[i - from] = String(Math.fround(values[i]!));
  return `{${parts.join(",")}}`;
}

async function insertScores(tx: Tx, runId: string, ids: readonly string[], scores: Scores, assignment: QuadrantAssignment) {
  for (let from = 0; from < ids.length; from += SCORE_BATCH) {
    const to = Math.min(ids.length, from + SCORE_BATCH);
    const quadrants = Array.from(assignment.quadrant.subarray(from, to), (code) => QUADRANTS[code]!);
    // Row i of the matrix is run ordinal i (readDynamicsMatrix reads in ordinal order).
    await tx.$executeRawUnsafe(
      `INSERT INTO example_scores (run_id, example_id, ordinal, difficulty, memorization, forget_frequency, loss_drop, relative_loss_drop, excess_loss_drop, accuracy_gain,
                                   mean_loss, forget_events, never_learned, confidence, variability, correctness, quadrant)
       SELECT $1::uuid, u.id, (u.i - 1 + $2)::int, u.d, u.m, u.ff, u.ld, u.rld, u.eld, u.ag, u.ml, u.f, u.n <> 0, u.c, u.v, u.k, u.q::"Quadrant"
         FROM unnest($3::uuid[], $4::real[], $5::real[], $6::real[], $7::real[], $8::real[], $9::real[], $10::real[], $11::real[], $12::int[], $13::int[], $14::real[], $15::real[], $16::real[], $17::text[])
              WITH ORDINALITY AS u(id, d, m, ff, ld, rld, eld, ag, ml, f, n, c, v, k, q, i)`,
      runId,
      from,
      `{${ids.slice(from, to).join(",")}}`,
      numberArray(scores.difficulty, from, to),
      numberArray(scores.memorization, from, to),
      numberArray(scores.forgetFrequency, from, to),
      numberArray(scores.lossDrop, from, to),
      numberArray(scores.relativeLossDrop, from, to),
      numberArray(scores.excessLossDrop, from, to),
      numberArray(scores.accuracyGain, from, to),
      numberArray(scores.meanLoss, from, to),
      numberArray(scores.forgetEvents, from, to),
      numberArray(scores.neverLearned, from, to),
      numberArray(scores.confidence, from, to),
      numberArray(scores.variability, from, to),
      numberArray(scores.correctness, from, to),
      `{${quadrants.join(",")}}`,
    );
  }
}

async function markFailed(db: Database, actor: Actor, runId: string, error: string) {
  await auditedTransaction(db, actor, async (tx) => {
    const before = await tx.run.findUnique({ where: { id: runId }, select: { status: true } });
    await tx.run.update({ where: { id: runId }, data: { status: "FAILED", error, finishedAt: new Date() } });
    return {
      result: undefined,
      audit: { action: "run.fail", targetType: "Run", targetId: runId, before: { status: before?.status }, after: { status: "FAILED", error } },
    };
  });
}
