import type { Database } from "../database.ts";
import type { Run, RunStatus } from "../generated/prisma/client.ts";

/** Reads of runs for the API (issue 12). */

/** Runs, newest first, optionally of one version and of one status; `first` at most. */
export const listRuns = (db: Database, { versionId, status, first }: { versionId?: string | null; status?: RunStatus | null; first: number }): Promise<Run[]> =>
  db.prisma.run.findMany({
    where: { ...(versionId ? { versionId } : {}), ...(status ? { status } : {}) },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: first,
  });
