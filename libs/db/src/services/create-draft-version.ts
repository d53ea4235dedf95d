import { z } from "zod";
import type { Database } from "../database.ts";
import { auditedTransaction, type Actor } from "../audit.ts";
import { notFound } from "../errors.ts";
import { parseOptions } from "./parse-options.ts";

const optionsSchema = z.object({
  parentVersionId: z.uuid(),
  note: z.string().max(2_000).optional(),
});
export type CreateDraftVersionOptions = z.input<typeof optionsSchema>;

/**
 * A new DRAFT version whose membership and weights are a copy of the parent's (one
 * INSERT … SELECT, so a million members copy inside the database). Its number is the dataset's
 * highest plus one; the dataset row is locked so that concurrent drafts get distinct numbers.
 */
export async function createDraftVersion(db: Database, actor: Actor, options: CreateDraftVersionOptions) {
  const { parentVersionId, note } = parseOptions(optionsSchema, options);
  return auditedTransaction(
    db,
    actor,
    async (tx) => {
      const parent = await tx.datasetVersion.findUnique({ where: { id: parentVersionId } });
      if (!parent) throw notFound("DatasetVersion", parentVersionId);
      await tx.$queryRaw`SELECT id FROM datasets WHERE id = ${parent.datasetId}::uuid FOR UPDATE`;
      const { _max } = await tx.datasetVersion.aggregate({ where: { datasetId: parent.datasetId }, _max: { number: true } });
      const version = await tx.datasetVersion.create({
        data: {
          datasetId: parent.datasetId,
          number: (_max.number ?? 0) + 1,
          parentId: parent.id,
          note: note?.trim() || `draft from version ${parent.number}`,
          createdById: actor.userId,
        },
      });
      const members = await tx.$executeRaw`
        INSERT INTO version_examples (version_id, example_id, weight)
        SELECT ${version.id}::uuid, example_id, weight FROM version_examples WHERE version_id = ${parent.id}::uuid`;
      return {
        result: version,
        audit: {
          action: "version.createDraft",
          targetType: "DatasetVersion",
          targetId: version.id,
          after: { datasetId: version.datasetId, number: version.number, parentId: parent.id, note: version.note, members },
        },
      };
    },
    { timeoutMs: 600_000 },
  );
}
