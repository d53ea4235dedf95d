import type { Database } from "../database.ts";
import type { Study } from "../generated/prisma/client.ts";

/** Reads of studies for the API (issue 12). */

export const findStudyById = (db: Database, id: string): Promise<Study | null> => db.prisma.study.findUnique({ where: { id } });

/** Studies, newest first, of one version or of all; at most 500. */
export const listStudies = (db: Database, { versionId }: { versionId?: string | null }): Promise<Study[]> =>
  db.prisma.study.findMany({ where: versionId ? { versionId } : {}, orderBy: { createdAt: "desc" }, take: 500 });
