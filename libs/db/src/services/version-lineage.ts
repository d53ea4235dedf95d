import type { Database } from "../database.ts";
import type { DatasetVersion, Run } from "../generated/prisma/client.ts";
import { lineageRuns, type LineageRun, type ReleaseLineage } from "./release-version.ts";

/**
 * Where a version came from: run → parent → this version.
 * - A RELEASED version: what its release recorded (Release.lineage.parentVersionId and runs).
 *   Releases made before the runs were recorded: the runs of the interventions the release
 *   applied (frozen with it, so the answer cannot drift); `recorded` is then false.
 * - A DRAFT: its parent and the runs of its APPROVED interventions, i.e. what releasing it now
 *   would record (`released` false).
 */
export interface VersionLineage {
  versionId: string;
  released: boolean;
  parentVersionId: string | null;
  runs: LineageRun[];
  /** The release stored its runs (false: derived from its applied interventions, or a draft). */
  recorded: boolean;
}

/** The lineage of a version (null: no such version). */
export async function versionLineage(db: Database, versionId: string): Promise<VersionLineage | null> {
  const version = await db.prisma.datasetVersion.findUnique({
    where: { id: versionId },
    select: { id: true, status: true, parentId: true, release: { select: { id: true, lineage: true } } },
  });
  if (!version) return null;
  const stored = version.release?.lineage as Partial<ReleaseLineage> | undefined;
  if (version.release && stored && Array.isArray(stored.runs)) {
    return { versionId, released: true, parentVersionId: stored.parentVersionId ?? version.parentId, runs: stored.runs, recorded: true };
  }
  const interventions = await db.prisma.intervention.findMany({
    where: version.release ? { releaseId: version.release.id } : { versionId, status: "APPROVED" },
    select: { id: true },
  });
  const runs = await lineageRuns(
    db.prisma,
    interventions.map((i) => i.id),
  );
  return {
    versionId,
    released: Boolean(version.release),
    parentVersionId: stored?.parentVersionId ?? version.parentId,
    runs,
    recorded: false,
  };
}

/** The lineage with its records, for the API: the parent version, and each run with the version it trained on. */
export interface VersionLineageRecords {
  parent: DatasetVersion | null;
  runs: { run: Run; trainedOn: DatasetVersion; onDraft: boolean }[];
  released: boolean;
  recorded: boolean;
}

/** versionLineage with the rows it names (null: no such version). */
export async function versionLineageRecords(db: Database, versionId: string): Promise<VersionLineageRecords | null> {
  const lineage = await versionLineage(db, versionId);
  if (!lineage) return null;
  const runs = await db.prisma.run.findMany({ where: { id: { in: lineage.runs.map((r) => r.runId) } } });
  const versionIds = [...new Set([...lineage.runs.map((r) => r.versionId), ...(lineage.parentVersionId ? [lineage.parentVersionId] : [])])];
  const versions = new Map((await db.prisma.datasetVersion.findMany({ where: { id: { in: versionIds } } })).map((v) => [v.id, v]));
  const runById = new Map(runs.map((r) => [r.id, r]));
  return {
    parent: lineage.parentVersionId ? (versions.get(lineage.parentVersionId) ?? null) : null,
    runs: lineage.runs.flatMap((r) => {
      const run = runById.get(r.runId);
      const trainedOn = versions.get(r.versionId);
      return run && trainedOn ? [{ run, trainedOn, onDraft: r.onDraft }] : [];
    }),
    released: lineage.released,
    recorded: lineage.recorded,
  };
}
