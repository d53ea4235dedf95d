export * from "./server.ts";
export * from "./context.ts";
