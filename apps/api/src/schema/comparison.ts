import { compareRuns } from "@gdc/db";
import type { ApiContext } from "../context.ts";

// Two scored runs side by side (issue 15): the quadrant cross-tabulation and the memorization
// of run A against run B (libs/db compareRuns does the work).
export const typeDefs = /* GraphQL */ `
  "How many shared examples are in quadrant a in run A and quadrant b in run B."
  type QuadrantPairCount {
    a: Quadrant!
    b: Quadrant!
    count: Int!
  }
  "Memorization of the same examples in both runs, pairwise (a sample spread over run A's order)."
  type RunComparisonPoints {
    memorizationA: FloatColumn!
    memorizationB: FloatColumn!
  }
  type RunComparison {
    runA: Run!
    runB: Run!
    "examples scored by both runs (by example identity)"
    shared: Int!
    onlyA: Int!
    onlyB: Int!
    "non-zero cells only"
    quadrants: [QuadrantPairCount!]!
    "Pearson correlation of the runs' memorization over the shared examples; null with fewer than two or no spread"
    memorizationCorrelation: Float
    points: RunComparisonPoints!
  }
  type Query {
    """
    Two SUCCEEDED runs compared on the examples both scored (runs of versions of one dataset
    share the examples the versions share). points holds at most sample (≤ 100 000) pairs.
    """
    runComparison(runA: ID!, runB: ID!, sample: Int = 5000): RunComparison!
  }
`;

export const resolvers = {
  Query: {
    runComparison: (_: unknown, args: { runA: string; runB: string; sample?: number | null }, ctx: ApiContext) =>
      compareRuns(ctx.db, { runAId: args.runA, runBId: args.runB, sample: args.sample ?? 5000 }),
  },
  RunComparison: {
    runA: (c: { runAId: string }, _: unknown, ctx: ApiContext) => ctx.loaders.run.load(c.runAId),
    runB: (c: { runBId: string }, _: unknown, ctx: ApiContext) => ctx.loaders.run.load(c.runBId),
  },
};
