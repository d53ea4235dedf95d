import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** The repository root (libs/db/src → ../../..). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

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
});

export interface GdcEnv {
  /** postgresql://… for a real server; undefined selects the embedded PGlite store. */
  databaseUrl: string | undefined;
  /** Folder of the embedded store. */
  dataDir: string;
  production: boolean;
  /** API server processes sharing the port (PostgreSQL only; the embedded store is one process's). */
  apiProcesses: number;
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
  };
}
