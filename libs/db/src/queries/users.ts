import type { Database } from "../database.ts";
import type { User } from "../generated/prisma/client.ts";

/** Reads of users (issue 12: the apps read through libs/db, never Prisma). */

/** The user with this id, or null. */
export async function findUserById(db: Database, id: string): Promise<User | null> {
  return db.prisma.user.findUnique({ where: { id } });
}
