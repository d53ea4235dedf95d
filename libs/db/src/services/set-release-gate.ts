import { z } from "zod";
import type { Database } from "../database.ts";
import { auditedTransaction, type Actor } from "../audit.ts";
import { notFound } from "../errors.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { parseOptions } from "./parse-options.ts";

/**
 * A dataset's release gate (stored in Dataset.releaseGate), checked against the latest
 * SUCCEEDED study of the version being released (see evaluate-release-gate.ts):
 * - maxExtractionRatio: curated ÷ baseline canary extraction rate must be ≤ this
 *   (0.6 = extraction must fall by at least 40 %);
 * - maxPerplexityIncrease: (curated − baseline) ÷ baseline validation perplexity must be ≤ this
 *   (0.005 = perplexity may rise by at most 0.5 %).
 * A threshold left out is not checked; with neither, the dataset has no gate.
 */
export const releaseGateSchema = z.object({
  maxExtractionRatio: z.number().min(0, "must be ≥ 0").max(1_000_000).nullish(),
  maxPerplexityIncrease: z.number().min(-1, "must be > -1 (a relative change)").max(1_000_000).nullish(),
});
export interface ReleaseGate {
  maxExtractionRatio?: number;
  maxPerplexityIncrease?: number;
}

/** The stored gate, or null when the dataset has none (unknown keys in stored JSON are ignored). */
export function readReleaseGate(stored: unknown): ReleaseGate | null {
  const parsed = releaseGateSchema.safeParse(stored ?? {});
  if (!parsed.success) return null;
  const gate: ReleaseGate = {};
  if (parsed.data.maxExtractionRatio != null) gate.maxExtractionRatio = parsed.data.maxExtractionRatio;
  if (parsed.data.maxPerplexityIncrease != null) gate.maxPerplexityIncrease = parsed.data.maxPerplexityIncrease;
  return Object.keys(gate).length ? gate : null;
}

const optionsSchema = releaseGateSchema.extend({ datasetId: z.uuid() });
export type SetReleaseGateOptions = z.input<typeof optionsSchema>;

/** Sets (or, with no thresholds, removes) a dataset's release gate. */
export async function setReleaseGate(db: Database, actor: Actor, options: SetReleaseGateOptions) {
  const { datasetId, ...thresholds } = parseOptions(optionsSchema, options);
  const gate = readReleaseGate(thresholds);
  return auditedTransaction(db, actor, async (tx) => {
    const dataset = await tx.dataset.findUnique({ where: { id: datasetId } });
    if (!dataset) throw notFound("Dataset", datasetId);
    const updated = await tx.dataset.update({
      where: { id: datasetId },
      data: { releaseGate: gate ? (gate as Prisma.InputJsonValue) : Prisma.DbNull },
    });
    return {
      result: updated,
      audit: {
        action: "dataset.setReleaseGate",
        targetType: "Dataset",
        targetId: datasetId,
        before: { releaseGate: dataset.releaseGate },
        after: { releaseGate: gate },
      },
    };
  });
}
