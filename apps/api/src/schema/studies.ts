import { actorFor, cancelStudy, findStudyById, listStudies, startStudy, type Study } from "@gdc/db";
import type { ApiContext } from "../context.ts";
import { findById } from "./common.ts";
import { authorize } from "../permissions.ts";

export const typeDefs = /* GraphQL */ `
  "An intervention study: baseline vs curated retrains on the same seeds (a study job)."
  type Study {
    id: ID!
    status: StudyStatus!
    config: JSON!
    progress: JSON
    "the release gate reads report.summary.{extractionRatio, perplexityIncrease}"
    report: JSON
    error: String
    version: DatasetVersion
    createdAt: DateTime!
    finishedAt: DateTime
  }

  input StartStudyInput {
    versionId: ID
    config: JSON
  }

  input CancelStudyInput {
    studyId: ID!
  }

  type Query {
    study(id: ID!): Study
    "Newest first."
    studies(versionId: ID): [Study!]!
  }

  type Mutation {
    startStudy(input: StartStudyInput!): Study!
    "QUEUED or RUNNING → CANCELLED (audited); its worker stops at its next progress write. CONFLICT, naming the status, once the study has ended."
    cancelStudy(input: CancelStudyInput!): Study!
  }
`;

export const resolvers = {
  Query: {
    study: (_: unknown, args: { id: string }, ctx: ApiContext) => findById(args.id, (id) => findStudyById(ctx.db, id)),
    studies: (_: unknown, args: { versionId?: string | null }, ctx: ApiContext) => listStudies(ctx.db, { versionId: args.versionId ?? null }),
  },
  Mutation: {
    startStudy: (_: unknown, args: { input: { versionId?: string | null; config?: unknown } }, ctx: ApiContext) => {
      const user = authorize(ctx, "startStudy");
      return startStudy(ctx.db, ctx.queue, actorFor(user), args.input as { versionId?: string | null; config?: Record<string, unknown> | null });
    },
    cancelStudy: (_: unknown, { input }: { input: { studyId: string } }, ctx: ApiContext) => {
      const user = authorize(ctx, "cancelStudy");
      return cancelStudy(ctx.db, actorFor(user), { studyId: input.studyId });
    },
  },
  Study: {
    version: (s: Study, _: unknown, ctx: ApiContext) => (s.versionId ? ctx.loaders.version.load(s.versionId) : null),
  },
};
