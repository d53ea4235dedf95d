import type { Database } from "../database.ts";
import { auditedTransaction, type Actor } from "../audit.ts";
import { badInput, conflict } from "../errors.ts";
import type { Role } from "../generated/prisma/enums.ts";

export interface CreateUserOptions {
  email: string;
  name: string;
  role: Role;
}

export async function createUser(db: Database, actor: Actor, { email, name, role }: CreateUserOptions) {
  const normalized = email.trim().toLowerCase();
  if (!/^[^@\s]+@[^@\s]+$/.test(normalized)) throw badInput("email", `"${email}" is not an email address`);
  if (!name.trim()) throw badInput("name", "must not be empty");
  return auditedTransaction(db, actor, async (tx) => {
    if (await tx.user.findUnique({ where: { email: normalized } })) throw conflict(`A user with email ${normalized} already exists`);
    // Who created the account is kept for four eyes: its creator may never be its reviewer (review-intervention.ts).
    const user = await tx.user.create({ data: { email: normalized, name: name.trim(), role, createdById: actor.userId } });
    return { result: user, audit: { action: "user.create", targetType: "User", targetId: user.id, after: { email: normalized, role } } };
  });
}
