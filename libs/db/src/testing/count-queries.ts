import pg from "pg";

/**
 * Counts the statements sent to PostgreSQL while `work` runs (every `query` of node-postgres,
 * which both the Prisma adapter and Database.sql go through), for tests that bound how many
 * queries a request costs (N+1 checks): a count, not a timing. PostgreSQL only (not PGlite).
 * Counts every statement of the process meanwhile: run nothing else concurrently.
 */
export async function countQueries<T>(work: () => Promise<T>): Promise<{ result: T; queries: number; statements: string[] }> {
  const statements: string[] = [];
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0];
    statements.push(typeof first === "string" ? first : String((first as { text?: unknown } | null)?.text ?? ""));
    return original.apply(this, args);
  };
  try {
    const result = await work();
    return { result, queries: statements.length, statements };
  } finally {
    proto.query = original;
  }
}
