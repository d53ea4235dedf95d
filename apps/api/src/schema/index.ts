import * as datasets from "./datasets.ts";

/**
 * One module per type family: its SDL and its resolvers side by side. Each module registers
 * itself with one appended line, `import * as x from "./x.ts"; add(x);` (imports are hoisted),
 * so modules written in parallel never edit the same line.
 */
export const typeDefs: string[] = [];
export const resolvers: object[] = [];
function add(module: { typeDefs: string; resolvers: object }) {
  typeDefs.push(module.typeDefs);
  resolvers.push(module.resolvers);
}
add(datasets);
import * as common from "./common.ts";
add(common);
