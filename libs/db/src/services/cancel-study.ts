import type { Database } from "../database.ts";
import { auditedTransaction, type Actor } from "../audit.ts";
import { conflict, notFound } from "../errors.ts";
import type { Study } from "../generated/prisma/client.ts";

export interface CancelStudyOptions {
  studyId: string;
}

const CANCELLABLE = new Set(["QUEUED", "RUNNING"]);

/**
 * Cancels a study that has not ended (issue 15), audited ("study.cancel") in the same
 * transaction. A queued job finds it no longer claimable; a running worker's next progress write
 * (study-claim.ts: it needs RUNNING under its claim) is refused, so it aborts the study, and its
 * finish or fail is refused too: the study stays CANCELLED. A SUCCEEDED, FAILED or CANCELLED
 * study is refused with CONFLICT naming its status.
 */
export async function cancelStudy(db: Database, actor: Actor, { studyId }: CancelStudyOptions): Promise<Study> {
  return auditedTransaction(db, actor, async (tx) => {
    const [locked] = await tx.$queryRawUnsafe<{ status: string }[]>(`SELECT status::text AS status FROM studies WHERE id = $1::uuid FOR UPDATE`, studyId);
    if (!locked) throw notFound("Study", studyId);
    if (!CANCELLABLE.has(locked.status)) throw conflict(`Study ${studyId} is ${locked.status} and can no longer be cancelled`);
    const study = await tx.study.update({ where: { id: studyId }, data: { status: "CANCELLED", finishedAt: new Date() } });
    return {
      result: study,
      audit: { action: "study.cancel", targetType: "Study", targetId: studyId, before: { status: locked.status }, after: { status: "CANCELLED" } },
    };
  });
}
