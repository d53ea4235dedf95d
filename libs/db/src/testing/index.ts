export * from "./test-database.ts";
export * from "./factories.ts";
export * from "./recording-queue.ts";
export * from "./count-queries.ts";
