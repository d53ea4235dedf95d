// The web's one way to write a GraphQL document. `graphql(...)` reads the API's schema from the
// introspection types generated out of apps/api/schema.graphql (src/graphql-env.d.ts, `npm run
// graphql:types -w @gdc/web`), so every document's result and variables are typed from the
// schema: a field renamed or retyped there breaks `tsc -p apps/web/tsconfig.json` here.
import { initGraphQLTada } from "gql.tada";
import type { introspection } from "../graphql-env.d.ts";

export const graphql = initGraphQLTada<{
  introspection: introspection;
  // What each custom scalar is on the wire (apps/api/src/schema/common.ts and runs.ts).
  scalars: {
    /** ISO-8601 string (the API serializes Date with toISOString). */
    DateTime: string;
    /** Any JSON value the API stored; narrow it where a page knows its shape. */
    JSON: unknown;
    /** The data map's parallel columns, one entry per point. */
    IDColumn: string[];
    FloatColumn: number[];
    IntColumn: number[];
    BooleanColumn: boolean[];
  };
}>();

export type { ResultOf, VariablesOf } from "gql.tada";
