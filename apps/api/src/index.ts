export * from "./server.ts";
export * from "./context.ts";
export * from "./processes.ts";
export * from "./dynamics-ingest-http.ts";
