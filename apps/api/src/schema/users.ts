import {
  actorFor,
  canOverrideReleaseGate,
  createApiToken,
  createUser,
  findUserById,
  listApiTokens,
  listUsers,
  revokeApiToken,
  type ApiToken,
  type Role,
} from "@gdc/db";
import type { ApiContext } from "../context.ts";
import { authorize, MUTATION_PERMISSIONS, requireUser } from "../permissions.ts";

export const typeDefs = /* GraphQL */ `
  type User {
    id: ID!
    email: String!
    name: String!
    role: Role!
    """
    The mutations this user's role may call, from the one permission table (apps/api
    permissions.ts). Rules on the data still apply per call (four eyes, released versions,
    token ownership): a listed mutation can still be refused for a given item.
    """
    permissions: [String!]!
    "Whether releaseVersion accepts an overrideReason from this user (release past a blocked gate)."
    canOverrideReleaseGate: Boolean!
  }

  type ApiToken {
    id: ID!
    name: String!
    "the first characters of the token, to tell tokens apart"
    prefix: String!
    createdAt: DateTime!
    revokedAt: DateTime
    "when the token last authenticated a request, to within a minute (null: never used)"
    lastUsedAt: DateTime
    user: User!
  }

  type CreatedApiToken {
    "shown once; only its SHA-256 is stored"
    token: String!
    apiToken: ApiToken!
  }

  type Query {
    "The caller (null without a valid token)."
    me: User
    users: [User!]!
    "Your own tokens; an ADMIN sees everyone's."
    apiTokens: [ApiToken!]!
  }

  type Mutation {
    createUser(input: CreateUserInput!): User!
    "For yourself (userId left out); an ADMIN also for other users."
    createApiToken(input: CreateApiTokenInput!): CreatedApiToken!
    "Your own tokens; an ADMIN any token."
    revokeApiToken(input: RevokeApiTokenInput!): ApiToken!
  }

  input CreateUserInput {
    email: String!
    name: String!
    role: Role!
  }
  input CreateApiTokenInput {
    "the token's owner; left out: yourself"
    userId: ID
    name: String!
  }
  input RevokeApiTokenInput {
    "the ApiToken's id"
    id: ID!
  }
`;

export const resolvers = {
  User: {
    permissions: (u: { role: Role }) =>
      Object.entries(MUTATION_PERMISSIONS).flatMap(([name, roles]) => ((roles as readonly Role[]).includes(u.role) ? [name] : [])),
    canOverrideReleaseGate: (u: { role: Role }) => canOverrideReleaseGate(u.role),
  },
  Query: {
    me: (_: unknown, __: unknown, ctx: ApiContext) => (ctx.user ? findUserById(ctx.db, ctx.user.id) : null),
    users: (_: unknown, __: unknown, ctx: ApiContext) => listUsers(ctx.db),
    apiTokens: (_: unknown, __: unknown, ctx: ApiContext) => {
      const user = requireUser(ctx);
      return listApiTokens(ctx.db, { userId: user.role === "ADMIN" ? null : user.id });
    },
  },
  Mutation: {
    createUser: (_: unknown, { input }: { input: { email: string; name: string; role: Role } }, ctx: ApiContext) => {
      const user = authorize(ctx, "createUser");
      return createUser(ctx.db, actorFor(user), { email: input.email, name: input.name, role: input.role });
    },
    createApiToken: (_: unknown, { input }: { input: { userId?: string | null; name: string } }, ctx: ApiContext) => {
      const user = authorize(ctx, "createApiToken");
      return createApiToken(ctx.db, actorFor(user), { userId: input.userId ?? null, name: input.name });
    },
    revokeApiToken: (_: unknown, { input }: { input: { id: string } }, ctx: ApiContext) => {
      const user = authorize(ctx, "revokeApiToken");
      return revokeApiToken(ctx.db, actorFor(user), { tokenId: input.id });
    },
  },
  ApiToken: {
    user: (t: ApiToken, _: unknown, ctx: ApiContext) => ctx.loaders.user.load(t.userId),
  },
};
