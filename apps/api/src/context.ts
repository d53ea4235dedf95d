import type { IncomingHttpHeaders } from "node:http";
import { authenticateToken, type AuthenticatedUser, type Database, type JobQueue } from "@gdc/db";
import { createLoaders, type Loaders } from "./loaders.ts";
import type { TokenCache } from "./token-cache.ts";

/** Long-lived dependencies, shared by all requests. */
export interface ApiDeps {
  db: Database;
  queue: JobQueue;
  /** Remembers authenticated tokens between requests (startApi sets one up); without it every request asks the database. */
  tokens?: TokenCache;
}

/** Per-request context: who is calling, and the dependencies. Nothing but authentication (TokenCache) is cached across requests. */
export interface ApiContext extends ApiDeps {
  user: AuthenticatedUser | null;
  /** DataLoaders of this request (see loaders.ts). */
  loaders: Loaders;
}

/** The caller named by the `Authorization: Bearer <token>` header, or null. */
export async function authenticate(deps: ApiDeps, headers: IncomingHttpHeaders | Map<string, string>): Promise<AuthenticatedUser | null> {
  const raw = headers instanceof Map ? headers.get("authorization") : headers.authorization;
  const match = /^Bearer\s+(\S+)$/i.exec(raw ?? "");
  if (!match) return null;
  return deps.tokens ? deps.tokens.authenticate(match[1]!) : authenticateToken(deps.db, match[1]!);
}

export async function buildContext(deps: ApiDeps, headers: IncomingHttpHeaders | Map<string, string>): Promise<ApiContext> {
  return { ...deps, user: await authenticate(deps, headers), loaders: createLoaders(deps.db) };
}
