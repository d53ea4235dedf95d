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

/** Which version a run trains on, and with which canaries (StartRunOptions, CreateExternalRunOptions). */
export interface RunVersionOptions {
  /**
   * A run trains on a RELEASED version (immutable, content-hashed: what it trained on can be
   * cited). A DRAFT is refused unless this is true: an exploratory run whose training set is
   * only its own snapshot (run_examples), which later proposals and the release change.
   */
  allowDraft?: boolean | null;
  /**
   * Train on the dataset's canaries too (the privacy audit). On a released version: the
   * canaries its release left out (Release.lineage.canaryExampleIds; canaries are never
   * released); on a draft: the canaries it holds. Default: `defaultCanaries`.
   */
  canaries?: boolean | null;
}

export interface RunSnapshot {
  run: Run;
  examples: number;
  /** Whether the dataset's canaries were included (as resolved from the option and its default). */
  canaries: boolean;
  /** The version was a DRAFT (allowDraft): the run's snapshot is all that says what it trained on. */
  onDraft: boolean;
}

/**
 * Creates a run on a version together with its snapshot of the version's TRAIN examples
 * (tracked and external runs alike), inside the caller's transaction. `purpose` completes the
 * error for a version without training examples ("… no TRAIN examples to <purpose>").
 * A DRAFT is refused (CONFLICT) unless `allowDraft`; see GOVERNANCE.md, "Runs train on
 * released versions".
 */
export async function createRunWithSnapshot(
  tx: Tx,
  versionId: string,
  data: Omit<Prisma.RunUncheckedCreateInput, "versionId">,
  purpose: string,
  options: RunVersionOptions & { defaultCanaries: "always" | "onDraft" },
): Promise<RunSnapshot> {
  // FOR SHARE: a release of this draft waits for the run's snapshot (and the other way round).
  const [version] = await tx.$queryRaw<{ id: string; status: string; number: number; dataset: string }[]>`
    SELECT v.id, v.status::text AS status, v.number, d.name AS dataset
      FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
     WHERE v.id = ${versionId}::uuid FOR SHARE OF v`;
  if (!version) throw notFound("DatasetVersion", versionId);
  const onDraft = version.status === "DRAFT";
  if (onDraft && options.allowDraft !== true) {
    throw conflict(
      `Version ${version.number} of ${version.dataset} (${version.id}) is a DRAFT: a run trains on a released, immutable version, ` +
        `so that what it trained on stays citable. Release it first (gdc release --version ${version.id}), then propose on a child draft; ` +
        `or pass allowDraft: true for an exploratory run whose training set is only its own snapshot.`,
    );
  }
  const withCanaries = options.canaries ?? (options.defaultCanaries === "always" || onDraft);
  let releasedCanaries: string[] = [];
  if (!onDraft && withCanaries) {
    const release = await tx.release.findUnique({ where: { versionId: version.id }, select: { lineage: true } });
    const ids = (release?.lineage as { canaryExampleIds?: unknown } | null)?.canaryExampleIds;
    releasedCanaries = Array.isArray(ids) ? ids.filter((id): id is string => typeof id === "string") : [];
  }
  const run = await tx.run.create({ data: { ...data, versionId: version.id } });
  const examples = await tx.$executeRawUnsafe(SNAPSHOT_RUN_EXAMPLES_SQL, run.id, version.id, releasedCanaries, withCanaries);
  if (examples === 0) throw conflict(`DatasetVersion ${version.id} has no TRAIN examples to ${purpose}`);
  return { run, examples, canaries: withCanaries, onDraft };
}
