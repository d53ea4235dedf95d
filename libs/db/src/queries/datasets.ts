import type { Database } from "../database.ts";
import type { Dataset, DatasetVersion, Intervention, InterventionStatus } from "../generated/prisma/client.ts";
import { evaluateReleaseGate, type GateVerdict } from "../services/evaluate-release-gate.ts";

/** Reads of datasets and their versions for the API (issue 12); lists of parents go through batch.ts. */

/** Every dataset, newest first. */
export const listDatasets = (db: Database): Promise<Dataset[]> => db.prisma.dataset.findMany({ orderBy: { createdAt: "desc" } });

export const findDatasetById = (db: Database, id: string): Promise<Dataset | null> => db.prisma.dataset.findUnique({ where: { id } });

export const findVersionById = (db: Database, id: string): Promise<DatasetVersion | null> => db.prisma.datasetVersion.findUnique({ where: { id } });

/** A page of a version's interventions in id order, optionally of one status, after an id cursor. */
export const listVersionInterventions = (
  db: Database,
  { versionId, status, after, first }: { versionId: string; status?: InterventionStatus | null; after?: string | null; first: number },
): Promise<Intervention[]> =>
  db.prisma.intervention.findMany({
    where: { versionId, ...(status ? { status } : {}), ...(after ? { id: { gt: after } } : {}) },
    orderBy: { id: "asc" },
    take: first,
  });

/** The release gate's verdict: as recorded at release for a released version, evaluated now for a draft. */
export async function versionGateVerdict(db: Database, version: Pick<DatasetVersion, "id" | "status">): Promise<GateVerdict | null> {
  if (version.status === "RELEASED") {
    const release = await db.prisma.release.findUnique({ where: { versionId: version.id } });
    return (release?.gateVerdict ?? null) as GateVerdict | null;
  }
  return evaluateReleaseGate(db.prisma, version.id);
}

/** The dataset with this name, with its versions and each version's runs, or null. */
export const findDatasetByNameWithRuns = (db: Database, name: string) =>
  db.prisma.dataset.findUnique({ where: { name }, include: { versions: { include: { runs: true } } } });
