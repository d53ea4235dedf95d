import type { Database } from "../database.ts";
import type { ApiToken, User } from "../generated/prisma/client.ts";

/** Reads of users (issue 12: the apps read through libs/db, never Prisma). */

/** The user with this id, or null. */
export async function findUserById(db: Database, id: string): Promise<User | null> {
  return db.prisma.user.findUnique({ where: { id } });
}

/** Every user, by email. */
export const listUsers = (db: Database): Promise<User[]> => db.prisma.user.findMany({ orderBy: { email: "asc" } });

/** API tokens, newest first: every user's (`userId` null, for an admin) or one user's. */
export const listApiTokens = (db: Database, { userId }: { userId: string | null }): Promise<ApiToken[]> =>
  db.prisma.apiToken.findMany({ where: userId === null ? {} : { userId }, orderBy: { createdAt: "desc" } });

/** The user with this email (as stored: lower case), or null. */
export const findUserByEmail = (db: Database, email: string): Promise<User | null> => db.prisma.user.findUnique({ where: { email } });

/** How many users there are (an empty store has none). */
export const countUsers = (db: Database): Promise<number> => db.prisma.user.count();
