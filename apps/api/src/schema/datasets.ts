import type { Dataset, DatasetVersion } from "@gdc/db";
import type { ApiContext } from "../context.ts";

export const typeDefs = /* GraphQL */ `
  type Dataset {
    id: ID!
    name: String!
    description: String!
    createdAt: String!
    versions: [DatasetVersion!]!
  }

  enum VersionStatus {
    DRAFT
    RELEASED
  }

  type DatasetVersion {
    id: ID!
    number: Int!
    status: VersionStatus!
    note: String!
    contentHash: String
    createdAt: String!
    releasedAt: String
    exampleCount: Int!
  }

  type Query {
    "All datasets, newest first."
    datasets: [Dataset!]!
    dataset(id: ID!): Dataset
  }
`;

export const resolvers = {
  Query: {
    datasets: (_: unknown, __: unknown, ctx: ApiContext) => ctx.db.prisma.dataset.findMany({ orderBy: { createdAt: "desc" } }),
    dataset: (_: unknown, args: { id: string }, ctx: ApiContext) => ctx.db.prisma.dataset.findUnique({ where: { id: args.id } }),
  },
  Dataset: {
    createdAt: (d: Dataset) => d.createdAt.toISOString(),
    versions: (d: Dataset, _: unknown, ctx: ApiContext) =>
      ctx.db.prisma.datasetVersion.findMany({ where: { datasetId: d.id }, orderBy: { number: "asc" } }),
  },
  DatasetVersion: {
    createdAt: (v: DatasetVersion) => v.createdAt.toISOString(),
    releasedAt: (v: DatasetVersion) => v.releasedAt?.toISOString() ?? null,
    exampleCount: (v: DatasetVersion, _: unknown, ctx: ApiContext) => ctx.db.prisma.versionExample.count({ where: { versionId: v.id } }),
  },
};
