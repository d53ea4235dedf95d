import {
  actorFor,
  createDataset,
  createDraftVersion,
  findDatasetById,
  findVersionById,
  importExamples,
  listDatasets,
  listVersionInterventions,
  parseExampleRecord,
  readReleaseGate,
  setReleaseGate,
  versionGateVerdict,
  badInput,
  type Dataset,
  type DatasetVersion,
  type ExampleRecord,
  type Intervention,
  type InterventionStatus,
} from "@gdc/db";
import type { ApiContext } from "../context.ts";
import { authorize } from "../permissions.ts";
import { connectionOf, findById, pageSize } from "./common.ts";

/** Examples per importExamples call (the CLI sends 1 000). */
export const MAX_IMPORT_BATCH = 5_000;

export const typeDefs = /* GraphQL */ `
  type Dataset {
    id: ID!
    name: String!
    description: String!
    createdAt: DateTime!
    "Oldest first."
    versions: [DatasetVersion!]!
    releaseGate: ReleaseGate
  }

  type DatasetVersion {
    id: ID!
    number: Int!
    status: VersionStatus!
    note: String!
    contentHash: String
    createdAt: DateTime!
    releasedAt: DateTime
    dataset: Dataset!
    parent: DatasetVersion
    exampleCount: Int!
    canaryCount: Int!
    runs: [Run!]!
    "Oldest first, at most \`first\` (≤ 500) after \`after\` (a previous page's endCursor, an intervention id); totalCount counts them all."
    interventions(status: InterventionStatus, first: Int = 100, after: ID): InterventionConnection!
    release: Release
    "Row-level diff against the parent version."
    diff(first: Int = 100, after: String): VersionDiff!
    """
    What releasing the version does: on a DRAFT a preview of what releaseVersion would do now
    (approved prunes and down-weights, canaries left out, pending proposals that leave the queue);
    on a RELEASED version, what its release did. Rows in example-id order.
    """
    releaseChanges(first: Int = 100, after: String): ReleaseChanges!
    "What the release gate would say now (null when the dataset has no gate); for a released version, what it said at release."
    gateVerdict: GateVerdict
    latestStudy: Study
  }

  "Thresholds on the latest SUCCEEDED study of the version being released (see releaseVersion)."
  type ReleaseGate {
    "curated ÷ baseline canary extraction rate must be ≤ this (0.6: extraction falls by ≥ 40 %)"
    maxExtractionRatio: Float
    "relative validation-perplexity increase must be ≤ this (0.005: at most +0.5 %)"
    maxPerplexityIncrease: Float
  }
  type GateVerdict {
    passed: Boolean!
    reasons: [String!]!
    studyId: ID
  }

  input ExampleInput {
    id: String
    text: String!
    split: Split
    canary: CanaryInput
    payload: JSON
    "the example's weight in the version, in (0, 1] (default 1), as a curated version's export carries it"
    weight: Float
  }
  input CanaryInput {
    prefix: String!
    secret: String!
  }
  type ImportResult {
    received: Int!
    created: Int!
    alreadyPresent: Int!
    addedToVersion: Int!
  }
  input CreateDatasetInput {
    name: String!
    description: String
  }
  input ImportExamplesInput {
    versionId: ID!
    examples: [ExampleInput!]!
    dryRun: Boolean = false
  }
  input CreateDraftVersionInput {
    parentVersionId: ID!
    note: String
  }
  input ReleaseGateInput {
    datasetId: ID!
    maxExtractionRatio: Float
    maxPerplexityIncrease: Float
  }

  type Query {
    "All datasets, newest first."
    datasets: [Dataset!]!
    dataset(id: ID!): Dataset
    version(id: ID!): DatasetVersion
  }

  type Mutation {
    """
    Creates a dataset and its first version, an empty DRAFT numbered 1 (versions[0] of the result):
    import examples into that draft (importExamples), train or score runs on it, and release it.
    """
    createDataset(input: CreateDatasetInput!): Dataset!
    """
    At most 5 000 examples per call; idempotent by content hash; all or nothing. With dryRun, every
    check runs (ids that already name other content in the dataset included) and nothing is
    written: the counts are what the import would do now.
    """
    importExamples(input: ImportExamplesInput!): ImportResult!
    createDraftVersion(input: CreateDraftVersionInput!): DatasetVersion!
    "Sets the dataset's release gate; with neither threshold, removes it."
    setReleaseGate(input: ReleaseGateInput!): Dataset!
  }
`;

interface ExampleInputArg {
  id?: string | null;
  text: string;
  split?: string | null;
  canary?: { prefix: string; secret: string } | null;
  payload?: unknown;
  weight?: number | null;
}

/** GraphQL gives null for fields sent as null; the record schema wants them absent. */
function withoutNulls(value: ExampleInputArg): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined));
}

export const resolvers = {
  Query: {
    datasets: (_: unknown, __: unknown, ctx: ApiContext) => listDatasets(ctx.db),
    dataset: (_: unknown, args: { id: string }, ctx: ApiContext) => findById(args.id, (id) => findDatasetById(ctx.db, id)),
    version: (_: unknown, args: { id: string }, ctx: ApiContext) => findById(args.id, (id) => findVersionById(ctx.db, id)),
  },
  Mutation: {
    createDataset: (_: unknown, { input }: { input: { name: string; description?: string | null } }, ctx: ApiContext) => {
      const user = authorize(ctx, "createDataset");
      return createDataset(ctx.db, actorFor(user), { name: input.name, description: input.description ?? "" });
    },
    importExamples: (_: unknown, { input }: { input: { versionId: string; examples: ExampleInputArg[]; dryRun?: boolean | null } }, ctx: ApiContext) => {
      const user = authorize(ctx, "importExamples");
      if (input.examples.length > MAX_IMPORT_BATCH) throw badInput("examples", `at most ${MAX_IMPORT_BATCH} per call, got ${input.examples.length}`);
      const records: ExampleRecord[] = input.examples.map((e, i) => parseExampleRecord(withoutNulls(e), `examples[${i}]`));
      return importExamples(ctx.db, actorFor(user), { versionId: input.versionId, records, describe: (i) => `examples[${i}]`, dryRun: input.dryRun === true });
    },
    createDraftVersion: (_: unknown, { input }: { input: { parentVersionId: string; note?: string | null } }, ctx: ApiContext) => {
      const user = authorize(ctx, "createDraftVersion");
      return createDraftVersion(ctx.db, actorFor(user), { parentVersionId: input.parentVersionId, ...(input.note != null ? { note: input.note } : {}) });
    },
    setReleaseGate: (
      _: unknown,
      args: { input: { datasetId: string; maxExtractionRatio?: number | null; maxPerplexityIncrease?: number | null } },
      ctx: ApiContext,
    ) => {
      const user = authorize(ctx, "setReleaseGate");
      return setReleaseGate(ctx.db, actorFor(user), args.input);
    },
  },
  Dataset: {
    versions: (d: Dataset, _: unknown, ctx: ApiContext) => ctx.loaders.versionsOfDataset.load(d.id),
    releaseGate: (d: Dataset) => readReleaseGate(d.releaseGate),
  },
  DatasetVersion: {
    dataset: (v: DatasetVersion, _: unknown, ctx: ApiContext) => ctx.loaders.dataset.load(v.datasetId),
    parent: (v: DatasetVersion, _: unknown, ctx: ApiContext) => (v.parentId ? ctx.loaders.version.load(v.parentId) : null),
    exampleCount: (v: DatasetVersion, _: unknown, ctx: ApiContext) => ctx.loaders.versionExampleCount.load(v.id),
    canaryCount: (v: DatasetVersion, _: unknown, ctx: ApiContext) => ctx.loaders.versionCanaryCount.load(v.id),
    runs: (v: DatasetVersion, _: unknown, ctx: ApiContext) => ctx.loaders.runsOfVersion.load(v.id),
    interventions: (v: DatasetVersion, args: { status?: InterventionStatus | null; first?: number | null; after?: string | null }, ctx: ApiContext) => {
      const first = pageSize(args.first, 100);
      // The page is read only when edges, nodes or pageInfo are asked (one row more than the page
      // says whether there is a next page); totalCount alone is one batched count for every version of a list.
      let page: Promise<ReturnType<typeof connectionOf<Intervention>>> | undefined;
      const read = () =>
        (page ??= listVersionInterventions(ctx.db, { versionId: v.id, status: args.status ?? null, after: args.after ?? null, first: first + 1 }).then((rows) =>
          connectionOf(rows, first, (i) => i.id),
        ));
      return {
        edges: () => read().then((c) => c.edges),
        nodes: () => read().then((c) => c.nodes),
        pageInfo: () => read().then((c) => c.pageInfo),
        totalCount: () => ctx.loaders.versionInterventionCount.load(`${v.id}:${args.status ?? ""}`),
      };
    },
    release: (v: DatasetVersion, _: unknown, ctx: ApiContext) => ctx.loaders.releaseOfVersion.load(v.id),
    diff: (v: DatasetVersion, args: { first?: number | null; after?: string | null }) => ({
      versionId: v.id,
      parentId: v.parentId,
      first: pageSize(args.first, 100),
      after: args.after ?? null,
    }),
    releaseChanges: (v: DatasetVersion, args: { first?: number | null; after?: string | null }) => ({
      versionId: v.id,
      first: pageSize(args.first, 100),
      after: args.after ?? null,
    }),
    gateVerdict: (v: DatasetVersion, _: unknown, ctx: ApiContext) => versionGateVerdict(ctx.db, v),
    latestStudy: (v: DatasetVersion, _: unknown, ctx: ApiContext) => ctx.loaders.latestStudyOfVersion.load(v.id),
  },
};
