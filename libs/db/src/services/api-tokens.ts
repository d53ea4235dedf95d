import { createHash, randomBytes } from "node:crypto";
import type { Database } from "../database.ts";
import { auditedTransaction, type Actor } from "../audit.ts";
import { DomainError, badInput, notFound } from "../errors.ts";
import type { Role } from "../generated/prisma/enums.ts";

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export interface CreateApiTokenOptions {
  userId: string;
  name: string;
}

/** Creates a token for a user. The plain token is returned once; only its hash is stored. */
export async function createApiToken(db: Database, actor: Actor, { userId, name }: CreateApiTokenOptions) {
  if (!name.trim()) throw badInput("name", "must not be empty");
  const token = `gdc_${randomBytes(24).toString("base64url")}`;
  return auditedTransaction(db, actor, async (tx) => {
    const user = await tx.user.findUnique({ where: { id: userId } });
    if (!user) throw notFound("User", userId);
    const row = await tx.apiToken.create({
      data: { userId, name: name.trim(), tokenHash: hashToken(token), prefix: token.slice(0, 10) },
    });
    return {
      result: { token, id: row.id, prefix: row.prefix, name: row.name },
      audit: { action: "apiToken.create", targetType: "ApiToken", targetId: row.id, after: { userId, name: row.name, prefix: row.prefix } },
    };
  });
}

export async function revokeApiToken(db: Database, actor: Actor, { tokenId }: { tokenId: string }) {
  return auditedTransaction(db, actor, async (tx) => {
    const row = await tx.apiToken.findUnique({ where: { id: tokenId } });
    if (!row) throw notFound("ApiToken", tokenId);
    if (row.revokedAt) throw new DomainError("CONFLICT", `ApiToken ${tokenId} is already revoked`);
    const revoked = await tx.apiToken.update({ where: { id: tokenId }, data: { revokedAt: new Date() } });
    return {
      result: revoked,
      audit: { action: "apiToken.revoke", targetType: "ApiToken", targetId: tokenId, before: { revokedAt: null }, after: { revokedAt: revoked.revokedAt } },
    };
  });
}

export interface AuthenticatedUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/** Resolves a bearer token to its user, or null for unknown and revoked tokens. */
export async function authenticateToken(db: Database, token: string): Promise<AuthenticatedUser | null> {
  const row = await db.prisma.apiToken.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
  if (!row || row.revokedAt) return null;
  const { id, email, name, role } = row.user;
  return { id, email, name, role };
}

export const actorFor = (user: AuthenticatedUser): Actor => ({ userId: user.id, label: `user:${user.email}`, role: user.role });
