import {
  findExampleById,
  listExampleInterventions,
  queryExamples,
  readTrajectory,
  runScoringResolved,
  visibleExampleKey,
  type Example,
  type ExampleFilter,
  type ExampleOrderField,
  type ListedExample,
  type SortDirection,
} from "@gdc/db";
import type { ApiContext } from "../context.ts";
import { findById } from "./common.ts";
import { canSeeCanarySecrets } from "../permissions.ts";

export const typeDefs = /* GraphQL */ `
  type Example {
    id: ID!
    "For a canary imported without an id the key is its content hash: REVIEWER and VIEWER then see canary:<example id> instead."
    key: String!
    "sha256 of the canonical {text, payload}. Null for canaries for REVIEWER and VIEWER (it would let them guess the secret)."
    contentHash: String
    "Canary text is redacted (null) for REVIEWER and VIEWER."
    text: String
    split: Split!
    isCanary: Boolean!
    "Only ADMIN and ENGINEER see canary prefix and secret."
    canary: Canary
    "Weight in the given version (null if not a member)."
    weight(versionId: ID!): Float
    score(runId: ID!): ExampleScore
    trajectory(runId: ID!): Trajectory
    interventions: [Intervention!]!
  }
  type Canary {
    prefix: String!
    secret: String!
  }

  """
  An example's scores in one run. Te and Tl are the run's early and late windows
  (Run.scoringResolved.earlyEpochs, lateEpochs). The memorization signals (forgetFrequency,
  lossDrop, relativeLossDrop, excessLossDrop, accuracyGain, meanLoss) are null for runs scored before they
  were stored, except forgetFrequency, which such runs recorded as their memorization.
  """
  type ExampleScore {
    "mean loss over the first Te epochs (nats)"
    difficulty: Float!
    """
    The run's chosen memorization signal, the one quadrants, policies and the data map use:
    equal to the field Run.memorizationSignal names (Run.scoringResolved.memorizationSignal).
    """
    memorization: Float!
    "forget events / (T − 1), in [0, 1]: the paper's memorization (0 when T = 1)"
    forgetFrequency: Float
    "mean loss over the first Te epochs − mean loss over the last Tl epochs (nats; negative when the loss rose)"
    lossDrop: Float
    "1 − (mean loss over the last Tl epochs) / (mean loss over the first Te epochs); 0 when the early loss is 0"
    relativeLossDrop: Float
    """
    How far below the run's least-squares line of ln(late loss) on ln(early loss) this example's
    late loss ended: (a + b·ln(early + δ)) − ln(late + δ), δ = 1e-6 nats. Higher means the example
    lost more of its loss than examples that started equally hard (the default memorization
    signal for language models).
    """
    excessLossDrop: Float
    "mean accuracy over the last Tl epochs − mean accuracy over the first Te epochs, in [−1, 1]"
    accuracyGain: Float
    "mean loss over all T epochs (nats): the cumulative-loss proxy of the C-score"
    meanLoss: Float
    "transitions t ≥ 1 from learned at t − 1 to not learned at t"
    forgetEvents: Int!
    neverLearned: Boolean!
    confidence: Float!
    variability: Float!
    correctness: Float!
    quadrant: Quadrant!
  }

  type Trajectory {
    epochs: Int!
    "per epoch; null where the run has not received the cell yet"
    loss: [Float]!
    accuracy: [Float]!
    "epochs t ≥ 1 where a forget event happened (empty until the run is scored)"
    forgetEpochs: [Int!]!
    "the ε the run was scored with (null before scoring, or when learned-by is accuracy)"
    epsilon: Float
  }

  enum ExampleOrderField {
    DIFFICULTY
    MEMORIZATION
    FORGET_EVENTS
    CONFIDENCE
    VARIABILITY
    CORRECTNESS
    KEY
  }

  input ExampleFilter {
    quadrants: [Quadrant!]
    split: Split
    isCanary: Boolean
    difficultyMin: Float
    difficultyMax: Float
    memorizationMin: Float
    memorizationMax: Float
    neverLearned: Boolean
    "case-insensitive substring of the key or the text (canary text only for ADMIN and ENGINEER)"
    search: String
  }
  input ExampleOrder {
    field: ExampleOrderField!
    direction: SortDirection! = DESC
  }

  type ExampleConnection {
    edges: [ExampleEdge!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }
  type ExampleEdge {
    cursor: String!
    node: Example!
  }

  extend type DatasetVersion {
    "The version's members, by key (filters on scores and orders by score need a run: Run.examples)."
    examples(first: Int = 50, after: String, filter: ExampleFilter, orderBy: ExampleOrder): ExampleConnection!
  }

  type Query {
    example(id: ID!): Example
  }
`;

export interface ExamplesArgs {
  first?: number | null;
  after?: string | null;
  filter?: ExampleFilter | null;
  orderBy?: { field: ExampleOrderField; direction?: SortDirection | null } | null;
}

/** A page of a run's or a version's examples for the caller (canary text is searchable only by those who may read it). */
export const examplesPage = (ctx: ApiContext, owner: { runId: string } | { versionId: string }, args: ExamplesArgs) =>
  queryExamples(ctx.db, {
    ...owner,
    first: args.first,
    after: args.after,
    filter: args.filter,
    orderBy: args.orderBy,
    canaryTextSearchable: canSeeCanarySecrets(ctx),
  });

type ExampleParent = Example & Partial<Pick<ListedExample, "runScore">>;

/** Forget epochs of a trajectory under the run's resolved learned-by rule. */
function forgetEpochs(
  loss: (number | null)[],
  accuracy: (number | null)[],
  resolved: { learnedBy?: string; epsilon?: number | null; tau?: number | null } | null,
): number[] {
  if (!resolved) return [];
  const learned = (t: number) =>
    resolved.learnedBy === "accuracy"
      ? accuracy[t] != null && accuracy[t]! >= (resolved.tau ?? 1)
      : loss[t] != null && loss[t]! < (resolved.epsilon ?? Number.NaN);
  const epochs: number[] = [];
  for (let t = 1; t < loss.length; t++) if (learned(t - 1) && !learned(t)) epochs.push(t);
  return epochs;
}

export const resolvers = {
  Query: {
    example: (_: unknown, args: { id: string }, ctx: ApiContext) => findById(args.id, (id) => findExampleById(ctx.db, id)),
  },
  DatasetVersion: {
    examples: (v: { id: string }, args: ExamplesArgs, ctx: ApiContext) => examplesPage(ctx, { versionId: v.id }, args),
  },
  Example: {
    // Nothing derived from a canary's content (text, hash, a key that is the hash) reaches roles that may not read it.
    key: (e: Example, _: unknown, ctx: ApiContext) => visibleExampleKey(e, canSeeCanarySecrets(ctx)),
    contentHash: (e: Example, _: unknown, ctx: ApiContext) => (e.isCanary && !canSeeCanarySecrets(ctx) ? null : e.contentHash),
    text: (e: Example, _: unknown, ctx: ApiContext) => (e.isCanary && !canSeeCanarySecrets(ctx) ? null : e.text),
    canary: (e: Example, _: unknown, ctx: ApiContext) =>
      e.isCanary && canSeeCanarySecrets(ctx) && e.canaryPrefix !== null && e.canarySecret !== null ? { prefix: e.canaryPrefix, secret: e.canarySecret } : null,
    weight: (e: Example, args: { versionId: string }, ctx: ApiContext) => ctx.loaders.exampleWeight.load(`${args.versionId}:${e.id}`),
    score: (e: ExampleParent, args: { runId: string }, ctx: ApiContext) =>
      e.runScore && e.runScore.runId === args.runId ? e.runScore.score : ctx.loaders.exampleScore.load(`${args.runId}:${e.id}`),
    trajectory: async (e: Example, args: { runId: string }, ctx: ApiContext) => {
      const [trajectory, scoringResolved] = await Promise.all([readTrajectory(ctx.db, args.runId, e.id), runScoringResolved(ctx.db, args.runId)]);
      if (!trajectory) return null;
      const resolved = scoringResolved as { learnedBy?: string; epsilon?: number | null; tau?: number | null } | null;
      return { ...trajectory, forgetEpochs: forgetEpochs(trajectory.loss, trajectory.accuracy, resolved), epsilon: resolved?.epsilon ?? null };
    },
    interventions: (e: Example, _: unknown, ctx: ApiContext) => listExampleInterventions(ctx.db, e.id),
  },
};
