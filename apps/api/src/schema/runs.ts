import {
  actorFor,
  cancelRun,
  createExternalRun,
  dynamicsCompleteness,
  findRun,
  finishRun,
  ingestDynamics,
  listRuns,
  MAX_CELLS_PER_CHUNK,
  memorizationSignalOf,
  queryDataMap,
  examplesAtOrdinals,
  searchRunOrdinals,
  runNeighbours,
  startRun,
  type DynamicsSource,
  type Run,
  type RunStatus,
} from "@gdc/db";
import { GraphQLScalarType } from "graphql";
import { QUADRANTS } from "@gdc/cartography";
import { MAX_BODY_BYTES } from "../body-limits.ts";
import type { ApiContext } from "../context.ts";
import { authorize, canSeeCanarySecrets } from "../permissions.ts";
import { findById, pageSize } from "./common.ts";
import { examplesPage, type ExamplesArgs } from "./examples.ts";

export const typeDefs = /* GraphQL */ `
  type Run {
    id: ID!
    name: String!
    kind: RunKind!
    status: RunStatus!
    version: DatasetVersion!
    modelConfig: JSON!
    seed: Int!
    "TensorFlow.js backend of a tracked run, or the external trainer's framework"
    backend: String
    dynamicsSource: DynamicsSource!
    epochs: Int!
    "as requested, with the policy (if any) under scoringConfig.policy"
    scoringConfig: JSON!
    "exact ε, Te, Tl, thresholds, learned-by rule and memorization signal used"
    scoringResolved: JSON
    """
    What ExampleScore.memorization and the data map's memorization axis are in this run: one of
    lossDrop, relativeLossDrop, excessLossDrop, accuracyGain, meanLoss, forgetFrequency (the paper's). From
    scoringResolved; "forgetFrequency" for runs scored before the choice was recorded; null
    until the run is scored.
    """
    memorizationSignal: String
    metrics: JSON
    progress: RunProgress!
    error: String
    createdAt: DateTime!
    startedAt: DateTime
    finishedAt: DateTime
    "the run's training examples (its snapshot of the version's TRAIN split)"
    exampleCount: Int!
    "empty until the run is scored"
    quadrantCounts: [QuadrantCount!]!
    "Examples of the run's version with their scores in this run (Relay pagination; first ≤ 500)."
    examples(first: Int = 50, after: String, filter: ExampleFilter, orderBy: ExampleOrder): ExampleConnection!
    """
    Every point of the data map as parallel JSON arrays; null until scored. For big runs fetch
    GET /export/runs/<id>/data-map.arrow instead (same Bearer token): the same columns as an
    Apache Arrow file, cached per scoring, about a seventh of the bytes (add ?include=ids for
    the example ids).
    """
    dataMap: DataMap
    """
    The examples at the given run ordinals (row i of the data map is ordinal i), in the order
    asked; null for an ordinal the run does not have. At most 200 per call: the examples table
    beside the map fetches one page of the points it lists.
    """
    examplesAt(ordinals: [Int!]!): [Example]!
    """
    The data-map rows (run ordinals, ascending) whose example's key or text contains search
    (case-insensitive; canary text only for ADMIN and ENGINEER, as Run.examples' search), at
    most limit (≤ 100 000) of them, with the exact count: the web highlights them on the map.
    """
    searchPoints(search: String!, limit: Int = 100000): PointSearch!
    "Where an example sits in the run's row order (the data map's), with the examples before and after it; null when it is not in the run."
    neighbours(exampleId: ID!): RunNeighbours
  }

  type RunNeighbours {
    "the example's run ordinal (its data-map row)"
    ordinal: Int!
    "the run's training examples"
    count: Int!
    "the example at ordinal − 1 (null for the first)"
    previous: Example
    "the example at ordinal + 1 (null for the last)"
    next: Example
  }

  type PointSearch {
    "run ordinals of the matches, ascending, at most the limit"
    ordinals: [Int!]!
    "every match, also beyond the limit"
    totalCount: Int!
  }

  """
  Tracked runs: epoch of epochs, step of steps within the epoch (written by the trainer).
  External runs: steps = examples × epochs cells expected, step = cells received.
  """
  type RunProgress {
    epoch: Int!
    epochs: Int!
    step: Int!
    steps: Int!
    examplesPerSecond: Float
    etaSeconds: Float
    "0…1"
    fraction: Float!
  }
  type QuadrantCount {
    quadrant: Quadrant!
    count: Int!
  }
  """
  Every point of a run's data map as parallel columns (index i is the same point in each).
  The columns are JSON arrays on the wire, typed as column scalars rather than GraphQL lists:
  a list of 100 k items is completed item by item by the executor (~1 s per data map), a
  column scalar is passed through whole.
  """
  type DataMap {
    runId: ID!
    count: Int!
    "example ids, in run-ordinal order"
    ids: IDColumn!
    difficulty: FloatColumn!
    memorization: FloatColumn!
    "index into \`quadrants\` below, per point"
    quadrant: IntColumn!
    quadrants: [Quadrant!]!
    isCanary: BooleanColumn!
    thresholds: Thresholds!
  }
  "A JSON array of IDs (one per data-map point)."
  scalar IDColumn
  "A JSON array of numbers (one per data-map point)."
  scalar FloatColumn
  "A JSON array of integers (one per data-map point)."
  scalar IntColumn
  "A JSON array of booleans (one per data-map point)."
  scalar BooleanColumn
  type Thresholds {
    difficulty: Float!
    memorization: Float!
    "quantile or absolute"
    source: String!
  }

  input StartRunInput {
    "a RELEASED version: a run trains on an immutable, citable version (a DRAFT is refused unless allowDraft)"
    versionId: ID!
    "train on a DRAFT anyway: an exploratory run whose training set is only its own snapshot (the draft changes later)"
    allowDraft: Boolean = false
    "train on the dataset's canaries too (the privacy audit): on a released version, those its release left out; default true"
    canaries: Boolean
    name: String
    epochs: Int! = 6
    seed: Int! = 0
    "model hyper-parameters (see libs/model)"
    modelConfig: JSON
    "learnedBy (auto, loss, accuracy), memorizationSignal, ε, τ, Te (earlyEpochs), Tl (lateEpochs), quantiles (see libs/cartography)"
    scoringConfig: JSON
    "a policy spec run automatically after scoring (proposals, see libs/cartography)"
    policy: JSON
  }
  input CreateExternalRunInput {
    "a RELEASED version (its export is what the trainer trains on); a DRAFT is refused unless allowDraft"
    versionId: ID!
    "record a run on a DRAFT anyway: its training set is only its own snapshot (the draft changes later)"
    allowDraft: Boolean = false
    "the trainer also trained on the dataset's canaries (their dynamics are then expected); default: false on a released version (its export holds none), true on a draft"
    canaries: Boolean
    name: String
    epochs: Int!
    framework: String
    dynamicsSource: DynamicsSource = TRAIN_FORWARD
    "as StartRunInput.scoringConfig"
    scoringConfig: JSON
  }
  input DynamicsCellInput {
    exampleKey: String!
    epoch: Int!
    loss: Float!
    accuracy: Float!
  }
  input DynamicsChunkInput {
    runId: ID!
    "At most ${MAX_CELLS_PER_CHUNK} cells, in a request of at most ${MAX_BODY_BYTES} bytes (~80 bytes of JSON a cell with short keys). Bulk uploads: POST /ingest/runs/<id>/dynamics (Arrow IPC), one epoch shard of up to ${MAX_CELLS_PER_CHUNK} rows per request."
    cells: [DynamicsCellInput!]!
  }
  type IngestResult {
    accepted: Int!
    "cells whose stored value was already identical"
    unchanged: Int!
    received: Int!
    "cells the run still lacks (examples × epochs − received so far)"
    missing: Int!
  }

  type Query {
    run(id: ID!): Run
    "Newest first."
    runs(versionId: ID, status: RunStatus, first: Int = 50): [Run!]!
  }

  type Mutation {
    "Creates a TRACKED run and enqueues its training."
    startRun(input: StartRunInput!): Run!
    "Registers a run trained elsewhere; its dynamics arrive through ingestDynamics."
    createExternalRun(input: CreateExternalRunInput!): Run!
    "One chunk of an external run's dynamics; idempotent (a retried chunk changes nothing); all or nothing."
    ingestDynamics(input: DynamicsChunkInput!): IngestResult!
    "Checks that every cell arrived, then enqueues scoring."
    finishRun(input: FinishRunInput!): Run!
    cancelRun(input: CancelRunInput!): Run!
  }

  input FinishRunInput {
    runId: ID!
  }
  input CancelRunInput {
    runId: ID!
  }
`;

interface StartRunArgs {
  input: {
    versionId: string;
    name?: string | null;
    epochs: number;
    seed: number;
    modelConfig?: Record<string, unknown> | null;
    scoringConfig?: Record<string, unknown> | null;
    policy?: unknown;
    allowDraft?: boolean | null;
    canaries?: boolean | null;
  };
}
interface CreateExternalRunArgs {
  input: {
    versionId: string;
    name?: string | null;
    epochs: number;
    framework?: string | null;
    dynamicsSource?: DynamicsSource | null;
    scoringConfig?: Record<string, unknown> | null;
    allowDraft?: boolean | null;
    canaries?: boolean | null;
  };
}
interface IngestArgs {
  input: { runId: string; cells: { exampleKey: string; epoch: number; loss: number; accuracy: number }[] };
}

function progressFraction(run: Run): number {
  if (run.status === "SUCCEEDED") return 1;
  if (run.progressSteps <= 0) return 0;
  const fraction = run.kind === "EXTERNAL" ? run.progressStep / run.progressSteps : (run.progressEpoch + run.progressStep / run.progressSteps) / run.epochs;
  return Math.min(1, Math.max(0, fraction));
}

/** Output-only column scalars: the resolver's array goes out as it is (never accepted as input). */
const column = (name: string, element: string) =>
  new GraphQLScalarType({
    name,
    serialize(value) {
      if (!Array.isArray(value)) throw new TypeError(`${name} must be an array of ${element}`);
      return value;
    },
    parseValue() {
      throw new TypeError(`${name} is an output type`);
    },
    parseLiteral() {
      throw new TypeError(`${name} is an output type`);
    },
  });

export const resolvers = {
  IDColumn: column("IDColumn", "IDs"),
  FloatColumn: column("FloatColumn", "numbers"),
  IntColumn: column("IntColumn", "integers"),
  BooleanColumn: column("BooleanColumn", "booleans"),
  Query: {
    run: (_: unknown, args: { id: string }, ctx: ApiContext) => findById(args.id, (id) => findRun(ctx.db, id)),
    runs: (_: unknown, args: { versionId?: string | null; status?: RunStatus | null; first?: number | null }, ctx: ApiContext) =>
      listRuns(ctx.db, { versionId: args.versionId ?? null, status: args.status ?? null, first: pageSize(args.first, 50) }),
  },
  Mutation: {
    startRun: (_: unknown, args: StartRunArgs, ctx: ApiContext) => {
      const user = authorize(ctx, "startRun");
      return startRun(ctx.db, ctx.queue, actorFor(user), args.input);
    },
    createExternalRun: (_: unknown, args: CreateExternalRunArgs, ctx: ApiContext) => {
      const user = authorize(ctx, "createExternalRun");
      return createExternalRun(ctx.db, actorFor(user), args.input);
    },
    ingestDynamics: (_: unknown, args: IngestArgs, ctx: ApiContext) => {
      const user = authorize(ctx, "ingestDynamics");
      return ingestDynamics(ctx.db, actorFor(user), { runId: args.input.runId, cells: args.input.cells });
    },
    finishRun: (_: unknown, { input }: { input: { runId: string } }, ctx: ApiContext) => {
      const user = authorize(ctx, "finishRun");
      return finishRun(ctx.db, ctx.queue, actorFor(user), { runId: input.runId });
    },
    cancelRun: (_: unknown, { input }: { input: { runId: string } }, ctx: ApiContext) => {
      const user = authorize(ctx, "cancelRun");
      return cancelRun(ctx.db, actorFor(user), { runId: input.runId });
    },
  },
  Run: {
    version: (r: Run, _: unknown, ctx: ApiContext) => ctx.loaders.version.load(r.versionId),
    progress: async (r: Run, _: unknown, ctx: ApiContext) => {
      // An external run's progress is the cells received so far, counted from its blocks.
      const step = r.kind === "EXTERNAL" && r.status === "RUNNING" ? (await dynamicsCompleteness(ctx.db, r.id, r.epochs)).received : r.progressStep;
      const run = { ...r, progressStep: step };
      return {
        epoch: run.progressEpoch,
        epochs: run.epochs,
        step,
        steps: run.progressSteps,
        examplesPerSecond: run.examplesPerSec,
        etaSeconds: run.etaSeconds,
        fraction: progressFraction(run),
      };
    },
    exampleCount: (r: Run, _: unknown, ctx: ApiContext) => ctx.loaders.runExampleCount.load(r.id),
    quadrantCounts: (r: Run) => {
      const counts = (r.metrics as { quadrantCounts?: Record<string, number> } | null)?.quadrantCounts;
      return counts ? QUADRANTS.map((quadrant) => ({ quadrant, count: counts[quadrant] ?? 0 })) : [];
    },
    examples: (r: Run, args: ExamplesArgs, ctx: ApiContext) => examplesPage(ctx, { runId: r.id }, args),
    dataMap: (r: Run, _: unknown, ctx: ApiContext) => queryDataMap(ctx.db, r.id),
    examplesAt: (r: Run, args: { ordinals: number[] }, ctx: ApiContext) => examplesAtOrdinals(ctx.db, { runId: r.id, ordinals: args.ordinals }),
    searchPoints: (r: Run, args: { search: string; limit?: number | null }, ctx: ApiContext) =>
      searchRunOrdinals(ctx.db, { runId: r.id, search: args.search, limit: args.limit, canaryTextSearchable: canSeeCanarySecrets(ctx) }),
    neighbours: (r: Run, args: { exampleId: string }, ctx: ApiContext) =>
      findById(args.exampleId, (exampleId) => runNeighbours(ctx.db, { runId: r.id, exampleId })),
    memorizationSignal: (r: Run) => memorizationSignalOf(r.scoringResolved),
  },
};
