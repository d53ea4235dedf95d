import type { Database } from "../database.ts";
import { auditedTransaction, type Actor } from "../audit.ts";
import { badInput, conflict } from "../errors.ts";

export interface CreateDatasetOptions {
  name: string;
  description?: string;
}

/** Creates a dataset with its first, empty, draft version (number 1). */
export async function createDataset(db: Database, actor: Actor, { name, description = "" }: CreateDatasetOptions) {
  const trimmed = name.trim();
  if (!/^[\w.\- ]{1,100}$/.test(trimmed)) throw badInput("name", "use 1–100 letters, digits, spaces, '.', '-' or '_'");
  return auditedTransaction(db, actor, async (tx) => {
    if (await tx.dataset.findUnique({ where: { name: trimmed } })) throw conflict(`A dataset named "${trimmed}" already exists`);
    const dataset = await tx.dataset.create({
      data: {
        name: trimmed,
        description,
        createdById: actor.userId,
        versions: { create: { number: 1, createdById: actor.userId, note: "initial version" } },
      },
      include: { versions: true },
    });
    return {
      result: dataset,
      audit: {
        action: "dataset.create",
        targetType: "Dataset",
        targetId: dataset.id,
        after: { name: trimmed, description, firstVersionId: dataset.versions[0]!.id },
      },
    };
  });
}
