import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** The repository root (libs/db/src → ../../..). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** An on/off setting: 1/true/yes/on or 0/false/no/off (unset: off). */
const flag = (name: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^(1|0|true|false|yes|no|on|off)?$/, `${name} must be 1 or 0 (or true/false, yes/no, on/off)`)
    .transform((v) => ["1", "true", "yes", "on"].includes(v))
    .optional();

const schema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "DATABASE_URL must be a postgresql:// connection string")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  GDC_DATA_DIR: z.string().min(1).optional(),
  NODE_ENV: z.enum(["development", "production", "test"]).optional(),
  GDC_API_PROCESSES: z
    .string()
    .regex(/^[1-9][0-9]?$/, "GDC_API_PROCESSES must be a whole number from 1 to 99")
    .optional(),
  GDC_INTROSPECTION: flag("GDC_INTROSPECTION"),
  GDC_DEBUG_ERRORS: flag("GDC_DEBUG_ERRORS"),
});

export interface GdcEnv {
  /** postgresql://… for a real server; undefined selects the embedded PGlite store. */
  databaseUrl: string | undefined;
  /** Folder of the embedded store. */
  dataDir: string;
  production: boolean;
  /** API server processes sharing the port (PostgreSQL only; the embedded store is one process's). */
  apiProcesses: number;
  /**
   * GDC_INTROSPECTION=1: the API answers GraphQL introspection (`__schema`, `__type`). Off by
   * default in every mode: the committed apps/api/schema.graphql documents the schema.
   */
  introspection: boolean;
  /**
   * GDC_DEBUG_ERRORS=1: internal errors keep their message and carry a stack trace. Off by default
   * in every mode (NODE_ENV unset too): they answer "Internal server error" and are logged.
   */
  debugErrors: boolean;
}

/** All environment reading happens here, validated once. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): GdcEnv {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Invalid environment: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  const env = parsed.data;
  return {
    databaseUrl: env.DATABASE_URL,
    dataDir: path.resolve(env.GDC_DATA_DIR ?? path.join(repoRoot, ".gdc", "pgdata")),
    production: env.NODE_ENV === "production",
    apiProcesses: Number(env.GDC_API_PROCESSES ?? 1),
    introspection: env.GDC_INTROSPECTION ?? false,
    debugErrors: env.GDC_DEBUG_ERRORS ?? false,
  };
}
