import { versionLineageRecords, type DatasetVersion } from "@gdc/db";
import type { ApiContext } from "../context.ts";

export const typeDefs = /* GraphQL */ `
  """
  Where a version came from, run → parent → this version (GOVERNANCE.md, "Runs train on released
  versions"): for a RELEASED version what its release recorded; for a DRAFT what releasing it now
  would record (the runs behind its APPROVED interventions).
  """
  type VersionLineage {
    "the version this one was drafted from (null for a dataset's first version)"
    parent: DatasetVersion
    "the runs whose scores were the evidence of the interventions the release applied (a draft: approved), by run id"
    runs: [LineageRun!]!
    released: Boolean!
    "false when derived: a draft, or a release made before releases recorded their runs (then from the interventions it applied, frozen with it)"
    recorded: Boolean!
  }
  type LineageRun {
    run: Run!
    "the version the run trained on (usually the released parent)"
    trainedOn: DatasetVersion!
    "the run started while that version was a DRAFT (allowDraft): only the run's own snapshot says what it trained on"
    onDraft: Boolean!
  }

  extend type DatasetVersion {
    "run → parent → this version"
    lineage: VersionLineage!
  }
`;

export const resolvers = {
  DatasetVersion: {
    lineage: async (v: DatasetVersion, _: unknown, ctx: ApiContext) => (await versionLineageRecords(ctx.db, v.id))!,
  },
};
