import { GraphQLScalarType, Kind, type ValueNode } from "graphql";
import { badInput } from "@gdc/db";

/**
 * What every module shares: the scalars, PageInfo, SortDirection and the enums of the data
 * model. Define a type in exactly one module; other modules refer to it by name.
 *
 * Convention across modules: an object type's parent value is the Prisma row of the same name
 * (Dataset, DatasetVersion, Example, Run, Intervention, Study, User…), so any module can return
 * a row and the owning module's field resolvers take it from there.
 */
export const typeDefs = /* GraphQL */ `
  "ISO-8601 date-time (UTC), e.g. 2025-01-31T12:00:00.000Z"
  scalar DateTime
  "Any JSON value"
  scalar JSON

  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }

  enum SortDirection {
    ASC
    DESC
  }

  enum Role {
    ADMIN
    ENGINEER
    REVIEWER
    VIEWER
  }
  enum VersionStatus {
    DRAFT
    RELEASED
  }
  enum Split {
    TRAIN
    VALIDATION
    TEST
  }
  enum RunKind {
    TRACKED
    EXTERNAL
  }
  enum RunStatus {
    QUEUED
    RUNNING
    SCORING
    SUCCEEDED
    FAILED
    CANCELLED
  }
  enum DynamicsSource {
    TRAIN_FORWARD
    EVAL_PASS
  }
  enum Quadrant {
    STABLE_EASY
    AMBIGUOUS_HARD
    HOTSPOT_MEMORIZED
    NOISY_OUTLIER
  }
  enum InterventionAction {
    PRUNE
    DOWNWEIGHT
  }
  enum InterventionStatus {
    PROPOSED
    APPROVED
    REJECTED
    APPLIED
  }
  enum ReviewDecision {
    APPROVE
    REJECT
  }
  enum StudyStatus {
    QUEUED
    RUNNING
    SUCCEEDED
    FAILED
    CANCELLED
  }
`;

const DateTime = new GraphQLScalarType<Date, string>({
  name: "DateTime",
  serialize(value) {
    const date = value instanceof Date ? value : new Date(value as string);
    if (Number.isNaN(date.getTime())) throw new TypeError(`DateTime cannot represent ${String(value)}`);
    return date.toISOString();
  },
  parseValue(value) {
    const date = typeof value === "string" ? new Date(value) : new Date(Number.NaN);
    if (Number.isNaN(date.getTime())) throw new TypeError("DateTime must be an ISO-8601 string");
    return date;
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new TypeError("DateTime must be an ISO-8601 string");
    const date = new Date(ast.value);
    if (Number.isNaN(date.getTime())) throw new TypeError("DateTime must be an ISO-8601 string");
    return date;
  },
});

function jsonLiteral(ast: ValueNode, variables: Record<string, unknown> | null | undefined): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((v) => jsonLiteral(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, jsonLiteral(f.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
    default:
      return undefined;
  }
}

const JSONScalar = new GraphQLScalarType({
  name: "JSON",
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => jsonLiteral(ast, variables),
});

export const resolvers = { DateTime, JSON: JSONScalar };

/** Largest page any list or connection returns; asking for more is BAD_USER_INPUT. */
export const MAX_PAGE_SIZE = 500;

/** Validates a `first` argument: 1…MAX_PAGE_SIZE. `field` names the argument in the error. */
export function pageSize(first: number | null | undefined, fallback: number, field = "first"): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw badInput(field, `must be a positive integer, got ${n}`);
  if (n > MAX_PAGE_SIZE) throw badInput(field, `must be at most ${MAX_PAGE_SIZE}, got ${n}`);
  return n;
}

/**
 * A Relay connection from a page read with one row more than asked (`first + 1`: the extra row
 * only says there is a next page): `{ edges { cursor node } nodes pageInfo }`, ARCHITECTURE.md
 * "GraphQL conventions".
 */
export function connectionOf<T>(rows: readonly T[], first: number, cursorOf: (row: T) => string) {
  const nodes = rows.slice(0, first);
  const last = nodes.at(-1);
  return {
    edges: nodes.map((node) => ({ cursor: cursorOf(node), node })),
    nodes,
    pageInfo: { hasNextPage: rows.length > first, endCursor: last === undefined ? null : cursorOf(last) },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A lookup by id for a `thing(id: ID!): Thing` query: every id here is a UUID, so anything else
 * names nothing and is not found (null), rather than reaching the database as a malformed uuid
 * (which answered with PostgreSQL's "invalid input syntax for type uuid").
 */
export function findById<T>(id: string, find: (id: string) => Promise<T | null>): Promise<T | null> {
  return UUID.test(id) ? find(id) : Promise.resolve(null);
}
