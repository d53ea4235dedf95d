import type { Database } from "../database.ts";
import type { Actor } from "../audit.ts";
import { notFound } from "../errors.ts";
import { createDraftVersion } from "./create-draft-version.ts";

/**
 * Where proposals from a run on `versionId` go: a DRAFT is curated in place (a run that
 * trained on it with allowDraft); a RELEASED version is never changed, so its newest DRAFT
 * child takes them, created from it (createDraftVersion, audited in `actor`'s name) when it
 * has none. The run keeps pointing at what it trained on; the release of the child records
 * run → parent → child (releaseVersion's lineage).
 */
export async function curationDraftFor(db: Database, actor: Actor, versionId: string): Promise<{ id: string; number: number; created: boolean }> {
  const version = await db.prisma.datasetVersion.findUnique({ where: { id: versionId }, select: { id: true, number: true, status: true } });
  if (!version) throw notFound("DatasetVersion", versionId);
  if (version.status === "DRAFT") return { id: version.id, number: version.number, created: false };
  const child = await db.prisma.datasetVersion.findFirst({
    where: { parentId: version.id, status: "DRAFT" },
    orderBy: { number: "desc" },
    select: { id: true, number: true },
  });
  if (child) return { ...child, created: false };
  const draft = await createDraftVersion(db, actor, { parentVersionId: version.id, note: `curation of version ${version.number}` });
  return { id: draft.id, number: draft.number, created: true };
}
