/**
 * What a database error means, whichever layer raised it (issue 12: the API maps errors to
 * GraphQL codes without knowing the Prisma client's or the driver adapter's error shapes):
 * node-postgres errors carry the SQLSTATE as `code`; Prisma's driver-adapter errors carry it in
 * `meta.driverAdapterError.cause.originalCode` (or `cause.originalCode`, or `meta.code`).
 */
interface DriverErrorShape {
  code?: unknown;
  meta?: { code?: unknown; driverAdapterError?: { cause?: DriverCause } };
  cause?: DriverCause;
}
interface DriverCause {
  originalCode?: unknown;
  originalMessage?: unknown;
  kind?: unknown;
}

/** The PostgreSQL SQLSTATE behind a Prisma / driver-adapter / node-postgres error, if any, with the server's message. */
export function databaseErrorState(err: unknown): { state: string | undefined; message: string | undefined; prismaCode: unknown } {
  if (!err || typeof err !== "object") return { state: undefined, message: undefined, prismaCode: undefined };
  const e = err as DriverErrorShape;
  // node-postgres itself (the raw `db.sql` hot paths): the SQLSTATE is the error's own code.
  if (err instanceof Error && typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code) && !e.meta)
    return { state: e.code, message: err.message, prismaCode: undefined };
  const cause = e.meta?.driverAdapterError?.cause ?? e.cause;
  const state = typeof cause?.originalCode === "string" ? cause.originalCode : typeof e.meta?.code === "string" ? e.meta.code : undefined;
  return { state, message: typeof cause?.originalMessage === "string" ? cause.originalMessage : undefined, prismaCode: e.code };
}

/** A unique-constraint violation, as the Prisma client or the pg driver adapter reports it. */
export function isUniqueViolation(err: unknown): boolean {
  const { state, prismaCode } = databaseErrorState(err);
  return prismaCode === "P2002" || state === "23505";
}

/**
 * A value PostgreSQL cannot read as its column type (22P02), e.g. an id that is not a UUID, or
 * text it cannot store (22021 NUL byte / invalid encoding, 22P05 a \u0000 in JSON): a message
 * for the caller, or null for any other error.
 */
export function invalidValueMessage(err: unknown): string | null {
  const { state, message } = databaseErrorState(err);
  if (state === "22P02") return `A value is malformed: ${message ?? "invalid input syntax"}`;
  if (state === "22021" || state === "22P05") return "A text value contains characters the database cannot store (NUL or invalid Unicode)";
  return null;
}
