import type { Database } from "../database.ts";
import type { Example, Intervention } from "../generated/prisma/client.ts";

/** Reads of examples for the API (issue 12). */

export const findExampleById = (db: Database, id: string): Promise<Example | null> => db.prisma.example.findUnique({ where: { id } });

/** The interventions proposed on an example (any version), oldest first; at most 500. */
export const listExampleInterventions = (db: Database, exampleId: string): Promise<Intervention[]> =>
  db.prisma.intervention.findMany({ where: { exampleId }, orderBy: { createdAt: "asc" }, take: 500 });

/** A run's resolved scoring configuration (exact ε, τ, learned-by rule), or null when the run is unknown or unscored. */
export async function runScoringResolved(db: Database, runId: string): Promise<unknown> {
  const run = await db.prisma.run.findUnique({ where: { id: runId }, select: { scoringResolved: true } });
  return run?.scoringResolved ?? null;
}
