import { createHash, randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Database } from "../database.ts";
import { auditedTransaction, type Actor } from "../audit.ts";
import { DomainError, badInput, forbidden, notFound } from "../errors.ts";
import type { Role } from "../generated/prisma/enums.ts";

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export interface CreateApiTokenOptions {
  /** Whose token; default: the actor's own. Only ADMIN (and system actors) create tokens for others. */
  userId?: string | null;
  name: string;
}

/** A user manages their own tokens; ADMIN and system actors (setup, seeding) anyone's. */
function assertMayManageTokensOf(actor: Actor, ownerId: string, verb: string) {
  if (actor.role === "ADMIN" || actor.role === "SYSTEM" || actor.userId === ownerId) return;
  throw forbidden(`Only an ADMIN can ${verb} another user's API token`);
}

/**
 * Creates a token for a user. The plain token is returned once; only its hash is stored. Who
 * created it is recorded (`createdById`; null for system actors): an ADMIN who issues a token
 * to someone else holds it too, so four eyes never lets the issuer and the owner review each
 * other's proposals (review-intervention.ts).
 */
export async function createApiToken(db: Database, actor: Actor, options: CreateApiTokenOptions) {
  const { name } = options;
  const userId = options.userId ?? actor.userId;
  if (!userId) throw badInput("userId", "is required when no user is acting");
  if (!name.trim()) throw badInput("name", "must not be empty");
  if (name.trim().length > 100) throw badInput("name", "must be at most 100 characters");
  assertMayManageTokensOf(actor, userId, "create");
  const token = `gdc_${randomBytes(24).toString("base64url")}`;
  return auditedTransaction(db, actor, async (tx) => {
    const user = await tx.user.findUnique({ where: { id: userId } });
    if (!user) throw notFound("User", userId);
    const row = await tx.apiToken.create({
      data: { userId, name: name.trim(), tokenHash: hashToken(token), prefix: token.slice(0, 10), createdById: actor.userId },
    });
    return {
      result: { token, id: row.id, prefix: row.prefix, name: row.name, apiToken: row },
      audit: { action: "apiToken.create", targetType: "ApiToken", targetId: row.id, after: { userId, name: row.name, prefix: row.prefix } },
    };
  });
}

/**
 * PostgreSQL NOTIFY channel on which a revocation announces the token's hash, sent in the
 * revoking transaction (so delivered once it commits): processes that cache authentication
 * (apps/api token-cache.ts) drop the token at once.
 */
export const TOKEN_REVOKED_CHANNEL = "gdc_token_revoked";
const revocations = new EventEmitter();

/** Calls `listener` with the hash of every token this process revokes, once the revocation has committed. */
export function onTokenRevokedHere(listener: (tokenHash: string) => void): () => void {
  revocations.on("revoked", listener);
  return () => revocations.off("revoked", listener);
}

export async function revokeApiToken(db: Database, actor: Actor, { tokenId }: { tokenId: string }) {
  const revoked = await auditedTransaction(db, actor, async (tx) => {
    const row = await tx.apiToken.findUnique({ where: { id: tokenId } });
    if (!row) throw notFound("ApiToken", tokenId);
    assertMayManageTokensOf(actor, row.userId, "revoke");
    if (row.revokedAt) throw new DomainError("CONFLICT", `ApiToken ${tokenId} is already revoked`);
    const revoked = await tx.apiToken.update({ where: { id: tokenId }, data: { revokedAt: new Date() } });
    await tx.$executeRawUnsafe(`SELECT pg_notify($1, $2)`, TOKEN_REVOKED_CHANNEL, row.tokenHash);
    return {
      result: revoked,
      audit: { action: "apiToken.revoke", targetType: "ApiToken", targetId: tokenId, before: { revokedAt: null }, after: { revokedAt: revoked.revokedAt } },
    };
  });
  revocations.emit("revoked", revoked.tokenHash);
  return revoked;
}

export interface AuthenticatedUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/**
 * How stale `ApiToken.lastUsedAt` may get: authentication writes it only when it is older than
 * this, so a busy token costs one small write a minute, not one per request (and the API's
 * token cache asks the database at most once a minute per token and process anyway).
 */
export const TOKEN_LAST_USED_RESOLUTION_SECONDS = 60;

/**
 * Resolves a bearer token to its user, or null for unknown and revoked tokens, and records the
 * use (`lastUsedAt`, to within TOKEN_LAST_USED_RESOLUTION_SECONDS). Every API request that is
 * not answered from the token cache calls this, so it is one statement on the driver (the
 * Prisma client's `include` costs a second round trip and ~0.5 ms of CPU per request; see
 * bench/api). The use is bookkeeping, not a change anyone made: it writes no audit event.
 */
export async function authenticateToken(db: Database, token: string): Promise<AuthenticatedUser | null> {
  return authenticateTokenHash(db, hashToken(token));
}

/** authenticateToken for a token already hashed (hashToken). */
export async function authenticateTokenHash(db: Database, tokenHash: string): Promise<AuthenticatedUser | null> {
  const [row] = await db.sql<AuthenticatedUser>(
    `WITH token AS (SELECT id, user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL),
          used AS (UPDATE api_tokens SET last_used_at = now()
                    WHERE id = (SELECT id FROM token)
                      AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2)))
     SELECT u.id, u.email, u.name, u.role::text AS role FROM token t JOIN users u ON u.id = t.user_id`,
    [tokenHash, TOKEN_LAST_USED_RESOLUTION_SECONDS],
    { prepare: true },
  );
  return row ? { id: row.id, email: row.email, name: row.name, role: row.role } : null;
}

export const actorFor = (user: AuthenticatedUser): Actor => ({ userId: user.id, label: `user:${user.email}`, role: user.role });
