import type { Database } from "../database.ts";
import { auditedTransaction, type Actor } from "../audit.ts";
import { conflict, notFound } from "../errors.ts";
import type { Run } from "../generated/prisma/client.ts";

export interface CancelRunOptions {
  runId: string;
}

const CANCELLABLE = new Set(["QUEUED", "RUNNING", "SCORING"]);

/**
 * Cancels a run that has not ended. Jobs already queued for it see the status and do nothing;
 * the trainer checks it between epochs. Dynamics received so far are kept.
 */
export async function cancelRun(db: Database, actor: Actor, { runId }: CancelRunOptions): Promise<Run> {
  return auditedTransaction(db, actor, async (tx) => {
    const [locked] = await tx.$queryRawUnsafe<{ status: string }[]>(`SELECT status FROM runs WHERE id = $1::uuid FOR UPDATE`, runId);
    if (!locked) throw notFound("Run", runId);
    if (!CANCELLABLE.has(locked.status)) throw conflict(`Run ${runId} is ${locked.status} and can no longer be cancelled`);
    const run = await tx.run.update({ where: { id: runId }, data: { status: "CANCELLED", finishedAt: new Date() } });
    return {
      result: run,
      audit: { action: "run.cancel", targetType: "Run", targetId: runId, before: { status: locked.status }, after: { status: "CANCELLED" } },
    };
  });
}
