import { listAuditEvents, verifyAuditChain } from "@gdc/db";
import type { ApiContext } from "../context.ts";
import { pageSize } from "./common.ts";

export const typeDefs = /* GraphQL */ `
  "One entry of the append-only, hash-chained audit trail."
  type AuditEvent {
    seq: ID!
    at: DateTime!
    actorLabel: String!
    action: String!
    targetType: String!
    targetId: String!
    "The state before and after. An API token's prefix (ApiToken events) is null for everyone but ADMIN."
    before: JSON
    after: JSON
    prevHash: String!
    hash: String!
  }
  "A page of the audit trail (a Relay connection: edges with their cursors, or nodes alone)."
  type AuditEventConnection {
    edges: [AuditEventEdge!]!
    "the edges' nodes, for a client that needs no per-item cursor"
    nodes: [AuditEvent!]!
    pageInfo: PageInfo!
  }
  type AuditEventEdge {
    "the event's seq; after = a cursor continues after (older than) this event"
    cursor: String!
    node: AuditEvent!
  }
  type AuditVerification {
    ok: Boolean!
    "events verified before the first broken link (all of them when ok)"
    checked: Int!
    headHash: String!
    "the first event whose hash or link does not match"
    firstBrokenSeq: ID
    reason: String
  }

  type Query {
    "Newest first; after = the previous page's endCursor (an event seq)."
    auditEvents(targetType: String, targetId: String, first: Int = 50, after: String): AuditEventConnection!
    "Recomputes the whole chain and names the first broken link."
    verifyAuditChain: AuditVerification!
  }
`;

export const resolvers = {
  Query: {
    auditEvents: async (
      _: unknown,
      args: { targetType?: string | null; targetId?: string | null; first?: number | null; after?: string | null },
      ctx: ApiContext,
    ) => {
      const page = await listAuditEvents(ctx.db, { ...args, first: pageSize(args.first, 50) });
      return {
        edges: page.events.map((node) => ({ cursor: node.seq.toString(), node })),
        nodes: page.events,
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      };
    },
    verifyAuditChain: async (_: unknown, __: unknown, ctx: ApiContext) => {
      const result = await verifyAuditChain(ctx.db);
      return {
        ok: result.ok,
        checked: result.checked,
        headHash: result.headHash,
        firstBrokenSeq: result.firstBroken?.seq ?? null,
        reason: result.firstBroken?.reason ?? null,
      };
    },
  },
  AuditEvent: {
    seq: (e: { seq: bigint }) => e.seq.toString(),
    before: (e: AuditEventRow, _: unknown, ctx: ApiContext) => withoutTokenPrefix(e, e.before, ctx),
    after: (e: AuditEventRow, _: unknown, ctx: ApiContext) => withoutTokenPrefix(e, e.after, ctx),
  },
};

type AuditEventRow = { targetType: string; before: unknown; after: unknown };

/** Token prefixes identify other people's API tokens: only ADMIN sees them in the trail (issue 13). */
function withoutTokenPrefix(e: AuditEventRow, state: unknown, ctx: ApiContext): unknown {
  if (ctx.user?.role === "ADMIN" || e.targetType !== "ApiToken" || state === null || typeof state !== "object" || Array.isArray(state)) return state;
  return "prefix" in state ? { ...state, prefix: null } : state;
}
