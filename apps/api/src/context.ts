import type { IncomingHttpHeaders } from "node:http";
import { authenticateToken, type AuthenticatedUser, type Database, type JobQueue } from "@gdc/db";
import { createLoaders, type Loaders } from "./loaders.ts";

/** Long-lived dependencies, shared by all requests. */
export interface ApiDeps {
  db: Database;
  queue: JobQueue;
}

/** Per-request context: who is calling, and the dependencies. Nothing is cached across requests. */
export interface ApiContext extends ApiDeps {
  user: AuthenticatedUser | null;
  /** DataLoaders of this request (see loaders.ts). */
  loaders: Loaders;
}

export async function buildContext(deps: ApiDeps, headers: IncomingHttpHeaders | Map<string, string>): Promise<ApiContext> {
  const raw = headers instanceof Map ? headers.get("authorization") : headers.authorization;
  const match = /^Bearer\s+(\S+)$/i.exec(raw ?? "");
  const user = match ? await authenticateToken(deps.db, match[1]!) : null;
  return { ...deps, user, loaders: createLoaders(deps.db) };
}
