import DataLoader from "dataloader";
import {
  actorFor,
  countReviewQueue,
  fourEyesTies,
  proposeInterventions,
  earlierDecisions,
  findInterventionById,
  listReviewQueue,
  releaseChangeCounts,
  releaseChangeRows,
  releaseVersion,
  reviewIntervention,
  reviewInterventions,
  reviewRefusal,
  versionDiffCounts,
  versionDiffRows,
  type Intervention,
  type Release,
  type ReleaseChangeCounts,
  type ReleaseChangeRow,
  type EarlierDecision,
  type Review,
  type VersionDiffCounts,
  type VersionDiffRow,
} from "@gdc/db";
import type { ApiContext } from "../context.ts";
import { authorize, MUTATION_PERMISSIONS } from "../permissions.ts";
import { connectionOf, findById, pageSize } from "./common.ts";

/**
 * Per request: the caller's four-eyes ties to proposers (fourEyesTies), one query per queue page
 * rather than one per intervention. Kept beside its one user, canReview, rather than in loaders.ts.
 */
const tiesLoaders = new WeakMap<ApiContext, DataLoader<string, string | null>>();
function fourEyesTiesLoader(ctx: ApiContext, reviewerId: string): DataLoader<string, string | null> {
  let loader = tiesLoaders.get(ctx);
  if (!loader) {
    loader = new DataLoader(async (proposerIds: readonly string[]) => {
      const ties = await fourEyesTies(ctx.db, reviewerId, proposerIds);
      return proposerIds.map((id) => ties.get(id) ?? null);
    });
    tiesLoaders.set(ctx, loader);
  }
  return loader;
}

export const typeDefs = /* GraphQL */ `
  type Intervention {
    id: ID!
    action: InterventionAction!
    "0 for PRUNE, in (0, 1) for DOWNWEIGHT (stored as float32)"
    weight: Float!
    status: InterventionStatus!
    "the policy spec, or {name: selection, action, weight} for a hand-made selection"
    policy: JSON!
    "scores, quadrant, thresholds and run the proposal came from (and the proposer's reason)"
    evidence: JSON!
    example: Example!
    version: DatasetVersion!
    run: Run
    proposedBy: User!
    createdAt: DateTime!
    reviews: [Review!]!
    "false when the viewer proposed it (four eyes) or lacks the role"
    canReview: Boolean!
    "Reviewed interventions on the same example in other versions, newest review first (e.g. rejected before)."
    earlierDecisions: [EarlierDecision!]!
  }

  type EarlierDecision {
    intervention: Intervention!
    versionId: ID!
    versionNumber: Int!
    action: InterventionAction!
    weight: Float!
    "the intervention's status now (APPLIED once released)"
    status: InterventionStatus!
    decision: ReviewDecision!
    reason: String!
    reviewerName: String!
    reviewedAt: DateTime!
  }

  type Review {
    id: ID!
    decision: ReviewDecision!
    reason: String!
    reviewer: User!
    createdAt: DateTime!
  }

  type Release {
    id: ID!
    version: DatasetVersion!
    "SHA-256 over the sorted (example content hash, float32 weight) pairs (libs/db content-hash.ts)"
    contentHash: String!
    "{parentVersionId, interventionIds, removed, reweighted, canariesExcluded, canaryExampleIds, unreviewed, examples, contentHashFormat}"
    lineage: JSON!
    "the release gate's verdict at release time (null: no gate)"
    gateVerdict: JSON
    "set when an ADMIN released despite a blocked gate"
    overrideReason: String
    releasedBy: User!
    createdAt: DateTime!
  }

  type VersionDiff {
    parent: DatasetVersion
    removedCount: Int!
    reweightedCount: Int!
    addedCount: Int!
    "Changed rows in example-id order; first/after default to those given to diff."
    rows(first: Int, after: String): DiffRowConnection!
  }
  type DiffRowConnection {
    edges: [DiffRow!]!
    pageInfo: PageInfo!
  }
  type DiffRow {
    example: Example!
    "REMOVED | REWEIGHTED | ADDED"
    change: String!
    parentWeight: Float
    weight: Float
    intervention: Intervention
    "the approving reviewer's reason (or why a canary was left out)"
    reason: String
  }

  "See DatasetVersion.releaseChanges."
  type ReleaseChanges {
    "false: a preview of releasing the draft now; true: what the release did"
    released: Boolean!
    prunedCount: Int!
    downweightedCount: Int!
    canariesLeftOutCount: Int!
    """
    PROPOSED interventions nobody reviewed: at release they leave the review queue, stay PROPOSED
    on the released version, are not applied and can no longer be reviewed (propose them again on
    a new draft).
    """
    pendingProposalsCount: Int!
    examplesBefore: Int!
    examplesAfter: Int!
    "false for a release made before releases recorded which canaries they left out (counted, not listed)"
    canaryRowsKnown: Boolean!
    rows(first: Int, after: String): ReleaseChangeRowConnection!
  }
  type ReleaseChangeRowConnection {
    edges: [ReleaseChangeRow!]!
    pageInfo: PageInfo!
  }
  type ReleaseChangeRow {
    example: Example!
    "PRUNED | DOWNWEIGHTED | CANARY_LEFT_OUT"
    change: String!
    weightBefore: Float!
    "null: not in the released version"
    weightAfter: Float
    intervention: Intervention
    "the approving reviewer's reason (or why a canary is left out)"
    reason: String
  }

  input ProposeInput {
    versionId: ID!
    runId: ID
    "a policy spec (libs/cartography PolicySpec)"
    policy: JSON
    "or an explicit selection (e.g. a lasso), with action (and weight for DOWNWEIGHT)"
    exampleIds: [ID!]
    action: InterventionAction
    weight: Float
    reason: String
    """
    Preview: every check and count as a real proposal, then rolled back (no intervention, no
    audit event); proposed is how many a proposal would make now.
    """
    dryRun: Boolean = false
  }
  type ProposeResult {
    proposed: Int!
    "not a member of the version, canaries, duplicates, or already proposed/approved there"
    skipped: Int!
    interventions: [Intervention!]!
  }
  input ReviewInput {
    interventionId: ID!
    decision: ReviewDecision!
    reason: String!
  }
  input ReviewBatchInput {
    "at most 500 per call"
    interventionIds: [ID!]!
    decision: ReviewDecision!
    reason: String!
  }
  input ReleaseInput {
    versionId: ID!
    "ADMIN only: release although the release gate blocks"
    overrideReason: String
  }

  "A page of interventions (a Relay connection: edges with their cursors, or nodes alone)."
  type InterventionConnection {
    edges: [InterventionEdge!]!
    "the edges' nodes, for a client that needs no per-item cursor"
    nodes: [Intervention!]!
    pageInfo: PageInfo!
    "every intervention the list holds, whatever first and after (one count, asked only when selected)"
    totalCount: Int!
  }
  type InterventionEdge {
    "the intervention's id (ids are time-ordered)"
    cursor: String!
    node: Intervention!
  }

  type Query {
    intervention(id: ID!): Intervention
    "The review queue: PROPOSED interventions on draft versions (still reviewable), oldest first; after = a previous page's endCursor (an intervention id)."
    reviewQueue(versionId: ID, first: Int = 50, after: String): InterventionConnection!
  }

  type Mutation {
    proposeInterventions(input: ProposeInput!): ProposeResult!
    "Four eyes: never on an intervention you proposed."
    reviewIntervention(input: ReviewInput!): Intervention!
    """
    reviewIntervention for up to 500 interventions, all or nothing (the error names the first
    offending interventionIds.<i>); each gets its review and its own audit event. Four eyes applies to each.
    """
    reviewInterventions(input: ReviewBatchInput!): [Intervention!]!
    releaseVersion(input: ReleaseInput!): Release!
  }
`;

interface DiffParent {
  versionId: string;
  parentId: string | null;
  first: number;
  after: string | null;
  counts?: Promise<VersionDiffCounts>;
}

/** Per request: earlier decisions on the same examples, one query per queue page. */
const earlierLoaders = new WeakMap<ApiContext, DataLoader<string, EarlierDecision[]>>();
function earlierDecisionsLoader(ctx: ApiContext): DataLoader<string, EarlierDecision[]> {
  let loader = earlierLoaders.get(ctx);
  if (!loader) {
    loader = new DataLoader(
      async (ids: readonly string[]) => {
        const byId = await earlierDecisions(ctx.db, { interventionIds: [...ids] });
        return ids.map((id) => byId.get(id) ?? []);
      },
      { maxBatchSize: 500 },
    );
    earlierLoaders.set(ctx, loader);
  }
  return loader;
}

interface ReleaseChangesParent {
  versionId: string;
  first: number;
  after: string | null;
  counts?: Promise<ReleaseChangeCounts>;
}
const releaseCountsOf = (r: ReleaseChangesParent, ctx: ApiContext) => (r.counts ??= releaseChangeCounts(ctx.db, r.versionId));

const countsOf = (d: DiffParent, ctx: ApiContext) => (d.counts ??= versionDiffCounts(ctx.db, d.versionId));
const orNull = <T>(v: T | null | undefined) => v ?? undefined;

export const resolvers = {
  Query: {
    intervention: (_: unknown, args: { id: string }, ctx: ApiContext) => findById(args.id, (id) => findInterventionById(ctx.db, id)),
    // Only what can still be reviewed (PROPOSED on a DRAFT version), in creation order: libs/db listReviewQueue.
    reviewQueue: async (_: unknown, args: { versionId?: string | null; first?: number | null; after?: string | null }, ctx: ApiContext) => {
      const first = pageSize(args.first, 50);
      // One row more than the page: it only says whether there is a next page.
      const rows = await listReviewQueue(ctx.db, { versionId: args.versionId ?? null, after: args.after ?? null, first: first + 1 });
      return { ...connectionOf(rows, first, (i) => i.id), totalCount: () => countReviewQueue(ctx.db, { versionId: args.versionId ?? null }) };
    },
  },
  Mutation: {
    proposeInterventions: (
      _: unknown,
      args: {
        input: {
          versionId: string;
          runId?: string | null;
          policy?: unknown;
          exampleIds?: string[] | null;
          action?: "PRUNE" | "DOWNWEIGHT" | null;
          weight?: number | null;
          reason?: string | null;
          dryRun?: boolean | null;
        };
      },
      ctx: ApiContext,
    ) => {
      const user = authorize(ctx, "proposeInterventions");
      const { versionId, runId, policy, exampleIds, action, weight, reason, dryRun } = args.input;
      return proposeInterventions(ctx.db, actorFor(user), {
        versionId,
        runId: orNull(runId),
        policy: orNull(policy),
        exampleIds: orNull(exampleIds),
        action: orNull(action),
        weight: orNull(weight),
        reason: orNull(reason),
        dryRun: dryRun ?? false,
      });
    },
    reviewIntervention: (_: unknown, args: { input: { interventionId: string; decision: "APPROVE" | "REJECT"; reason: string } }, ctx: ApiContext) => {
      const user = authorize(ctx, "reviewIntervention");
      return reviewIntervention(ctx.db, actorFor(user), args.input);
    },
    reviewInterventions: (_: unknown, args: { input: { interventionIds: string[]; decision: "APPROVE" | "REJECT"; reason: string } }, ctx: ApiContext) => {
      const user = authorize(ctx, "reviewInterventions");
      return reviewInterventions(ctx.db, actorFor(user), args.input);
    },
    releaseVersion: (_: unknown, args: { input: { versionId: string; overrideReason?: string | null } }, ctx: ApiContext) => {
      const user = authorize(ctx, "releaseVersion");
      return releaseVersion(ctx.db, actorFor(user), args.input);
    },
  },
  Intervention: {
    example: (i: Intervention, _: unknown, ctx: ApiContext) => ctx.loaders.example.load(i.exampleId),
    version: (i: Intervention, _: unknown, ctx: ApiContext) => ctx.loaders.version.load(i.versionId),
    run: (i: Intervention, _: unknown, ctx: ApiContext) => (i.runId ? ctx.loaders.run.load(i.runId) : null),
    proposedBy: (i: Intervention, _: unknown, ctx: ApiContext) => ctx.loaders.user.load(i.proposedById),
    reviews: (i: Intervention, _: unknown, ctx: ApiContext) => ctx.loaders.reviewsOfIntervention.load(i.id),
    earlierDecisions: (i: Intervention, _: unknown, ctx: ApiContext) => earlierDecisionsLoader(ctx).load(i.id),
    // The role from the permission table, the rest from the review service's own rules.
    canReview: async (i: Intervention, _: unknown, ctx: ApiContext) => {
      const user = ctx.user;
      const roles: readonly string[] = MUTATION_PERMISSIONS.reviewIntervention;
      if (!user || !roles.includes(user.role)) return false;
      const [versionStatus, tie] = await Promise.all([ctx.loaders.versionStatus.load(i.versionId), fourEyesTiesLoader(ctx, user.id).load(i.proposedById)]);
      if (versionStatus === null) return false;
      return (
        reviewRefusal({ id: i.id, status: i.status, proposedById: i.proposedById, version: { id: i.versionId, status: versionStatus } }, user.id, tie) === null
      );
    },
  },
  EarlierDecision: {
    intervention: (d: EarlierDecision, _: unknown, ctx: ApiContext) => ctx.loaders.intervention.load(d.interventionId),
  },
  Review: {
    reviewer: (r: Review, _: unknown, ctx: ApiContext) => ctx.loaders.user.load(r.reviewerId),
  },
  Release: {
    version: (r: Release, _: unknown, ctx: ApiContext) => ctx.loaders.version.load(r.versionId),
    releasedBy: (r: Release, _: unknown, ctx: ApiContext) => ctx.loaders.user.load(r.releasedById),
  },
  VersionDiff: {
    parent: (d: DiffParent, _: unknown, ctx: ApiContext) => (d.parentId ? ctx.loaders.version.load(d.parentId) : null),
    removedCount: async (d: DiffParent, _: unknown, ctx: ApiContext) => (await countsOf(d, ctx)).removed,
    reweightedCount: async (d: DiffParent, _: unknown, ctx: ApiContext) => (await countsOf(d, ctx)).reweighted,
    addedCount: async (d: DiffParent, _: unknown, ctx: ApiContext) => (await countsOf(d, ctx)).added,
    rows: async (d: DiffParent, args: { first?: number | null; after?: string | null }, ctx: ApiContext) => {
      const page = await versionDiffRows(ctx.db, { versionId: d.versionId, first: pageSize(args.first ?? d.first, 100), after: args.after ?? d.after });
      return { edges: page.rows, pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor } };
    },
  },
  ReleaseChanges: {
    released: async (r: ReleaseChangesParent, _: unknown, ctx: ApiContext) => (await releaseCountsOf(r, ctx)).released,
    prunedCount: async (r: ReleaseChangesParent, _: unknown, ctx: ApiContext) => (await releaseCountsOf(r, ctx)).pruned,
    downweightedCount: async (r: ReleaseChangesParent, _: unknown, ctx: ApiContext) => (await releaseCountsOf(r, ctx)).downweighted,
    canariesLeftOutCount: async (r: ReleaseChangesParent, _: unknown, ctx: ApiContext) => (await releaseCountsOf(r, ctx)).canariesLeftOut,
    pendingProposalsCount: async (r: ReleaseChangesParent, _: unknown, ctx: ApiContext) => (await releaseCountsOf(r, ctx)).pendingProposals,
    examplesBefore: async (r: ReleaseChangesParent, _: unknown, ctx: ApiContext) => (await releaseCountsOf(r, ctx)).examplesBefore,
    examplesAfter: async (r: ReleaseChangesParent, _: unknown, ctx: ApiContext) => (await releaseCountsOf(r, ctx)).examplesAfter,
    canaryRowsKnown: async (r: ReleaseChangesParent, _: unknown, ctx: ApiContext) => (await releaseCountsOf(r, ctx)).canaryRowsKnown,
    rows: async (r: ReleaseChangesParent, args: { first?: number | null; after?: string | null }, ctx: ApiContext) => {
      const page = await releaseChangeRows(ctx.db, { versionId: r.versionId, first: pageSize(args.first ?? r.first, 100), after: args.after ?? r.after });
      return { edges: page.rows, pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor } };
    },
  },
  ReleaseChangeRow: {
    example: (r: ReleaseChangeRow, _: unknown, ctx: ApiContext) => ctx.loaders.example.load(r.exampleId),
    intervention: (r: ReleaseChangeRow, _: unknown, ctx: ApiContext) => (r.interventionId ? ctx.loaders.intervention.load(r.interventionId) : null),
  },
  DiffRow: {
    example: (r: VersionDiffRow, _: unknown, ctx: ApiContext) => ctx.loaders.example.load(r.exampleId),
    intervention: (r: VersionDiffRow, _: unknown, ctx: ApiContext) => (r.interventionId ? ctx.loaders.intervention.load(r.interventionId) : null),
  },
};
