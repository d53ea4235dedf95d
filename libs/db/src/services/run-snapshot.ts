import type { Tx } from "../audit.ts";
import { badInput, conflict, notFound } from "../errors.ts";
import type { Prisma, Run } from "../generated/prisma/client.ts";
import { SNAPSHOT_RUN_EXAMPLES_SQL } from "./run-scoring-config.ts";

/** A run's optional display name: trimmed, at most 200 characters. */
export function checkRunName(name: string | null | undefined): string {
  const trimmed = (name ?? "").trim();
  if (trimmed.length > 200) throw badInput("name", "must be at most 200 characters");
  return trimmed;
}

/**
 * Creates a run on a version together with its snapshot of the version's TRAIN examples
 * (tracked and external runs alike), inside the caller's transaction. `purpose` completes the
 * error for a version without training examples ("… no TRAIN examples to <purpose>").
 */
export async function createRunWithSnapshot(
  tx: Tx,
  versionId: string,
  data: Omit<Prisma.RunUncheckedCreateInput, "versionId">,
  purpose: string,
): Promise<{ run: Run; examples: number }> {
  const version = await tx.datasetVersion.findUnique({ where: { id: versionId } });
  if (!version) throw notFound("DatasetVersion", versionId);
  const run = await tx.run.create({ data: { ...data, versionId: version.id } });
  const examples = await tx.$executeRawUnsafe(SNAPSHOT_RUN_EXAMPLES_SQL, run.id, version.id);
  if (examples === 0) throw conflict(`DatasetVersion ${version.id} has no TRAIN examples to ${purpose}`);
  return { run, examples };
}
