import type { ApolloServerOptionsWithTypeDefs } from "@apollo/server";
import type { ApiContext } from "../context.ts";
import * as audit from "./audit.ts";
import * as common from "./common.ts";
import * as comparison from "./comparison.ts";
import * as datasets from "./datasets.ts";
import * as examples from "./examples.ts";
import * as governance from "./governance.ts";
import * as lineage from "./lineage.ts";
import * as runs from "./runs.ts";
import * as studies from "./studies.ts";
import * as users from "./users.ts";

type Resolvers = Extract<ApolloServerOptionsWithTypeDefs<ApiContext>["resolvers"], unknown[]>[number];

/**
 * Every schema module (one per type family: its SDL and its resolvers side by side), listed
 * once, by file name. A module file missing here fails the schema-modules test
 * (apps/api/test/schema-modules.test.ts) instead of silently serving less.
 */
export const SCHEMA_MODULES = { audit, common, comparison, datasets, examples, governance, lineage, runs, studies, users } satisfies Record<
  string,
  { typeDefs: string; resolvers: object }
>;

export const typeDefs: string[] = Object.values(SCHEMA_MODULES).map((m) => m.typeDefs);
export const resolvers: Resolvers[] = Object.values(SCHEMA_MODULES).map((m) => m.resolvers as Resolvers);
