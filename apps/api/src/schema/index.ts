import type { ApolloServerOptionsWithTypeDefs } from "@apollo/server";
import type { ApiContext } from "../context.ts";
import * as datasets from "./datasets.ts";

/**
 * One module per type family: its SDL and its resolvers side by side. Each module registers
 * itself with one appended line, `import * as x from "./x.ts"; add(x);` (imports are hoisted),
 * so modules written in parallel never edit the same line.
 */
export const typeDefs: string[] = [];
type Resolvers = Extract<ApolloServerOptionsWithTypeDefs<ApiContext>["resolvers"], unknown[]>[number];
export const resolvers: Resolvers[] = [];
function add(module: { typeDefs: string; resolvers: object }) {
  typeDefs.push(module.typeDefs);
  resolvers.push(module.resolvers as Resolvers);
}
add(datasets);
import * as common from "./common.ts";
add(common);
import * as governance from "./governance.ts";
add(governance);
import * as users from "./users.ts";
add(users);
import * as audit from "./audit.ts";
add(audit);
import * as studies from "./studies.ts";
add(studies);
import * as runs from "./runs.ts";
add(runs);
import * as examples from "./examples.ts";
add(examples);
