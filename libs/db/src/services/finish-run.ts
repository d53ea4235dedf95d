import type { Database } from "../database.ts";
import { auditedTransaction, type Actor } from "../audit.ts";
import { conflict, notFound } from "../errors.ts";
import type { JobQueue } from "../queue.ts";
import type { Run } from "../generated/prisma/client.ts";
import { dynamicsCompleteness, incompleteDynamicsError } from "./dynamics-store.ts";

export interface FinishRunOptions {
  runId: string;
}

/**
 * Ends the ingest of an EXTERNAL run: every cell (example × epoch) must have arrived — the
 * error names the first missing ones — then the run moves to SCORING and the `score` job is
 * enqueued in the same transaction.
 */
export async function finishRun(db: Database, queue: JobQueue, actor: Actor, { runId }: FinishRunOptions): Promise<Run> {
  return auditedTransaction(db, actor, async (tx) => {
    // FOR UPDATE waits for chunks being ingested (they hold FOR SHARE) and blocks new ones.
    const [locked] = await tx.$queryRawUnsafe<{ id: string }[]>(`SELECT id FROM runs WHERE id = $1::uuid FOR UPDATE`, runId);
    if (!locked) throw notFound("Run", runId);
    const run = (await tx.run.findUnique({ where: { id: runId } }))!;
    if (run.kind !== "EXTERNAL") throw conflict(`Run ${runId} is TRACKED: its trainer finishes it`);
    if (run.status !== "RUNNING") throw conflict(`Run ${runId} is ${run.status}: only a RUNNING run can be finished`);
    const completeness = await dynamicsCompleteness(tx, runId, run.epochs);
    if (completeness.missing > 0) throw await incompleteDynamicsError(tx, runId, completeness);
    const updated = await tx.run.update({
      where: { id: runId },
      data: { status: "SCORING", progressStep: completeness.received, progressEpoch: run.epochs, heartbeatAt: new Date() },
    });
    await queue.enqueue("score", { runId }, { tx, singletonKey: runId });
    return {
      result: updated,
      audit: {
        action: "run.finish",
        targetType: "Run",
        targetId: runId,
        before: { status: run.status },
        after: { status: "SCORING", cells: completeness.received, examples: completeness.examples, epochs: run.epochs },
      },
    };
  });
}
