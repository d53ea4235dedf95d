import * as datasets from "./datasets.ts";

/** One module per type family: its SDL and its resolvers side by side. */
const modules = [datasets];

export const typeDefs = modules.map((m) => m.typeDefs);
export const resolvers = modules.map((m) => m.resolvers);
