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

/**
 * The store's and the API's settings, validated together. Every environment variable the
 * server side reads (api, worker, cli) is read in this module: here, or by one of the
 * single-variable readers below, each validated (numbers are never NaN). The web app reads its
 * own few in apps/web/env.mjs; the audit key (GDC_AUDIT_KEY / GDC_AUDIT_KEY_FILE) is read by
 * readAuditKey in audit.ts, next to the code that uses it.
 */
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

/** A number of seconds from `name`: unset or empty gives `fallback`; anything else must be a finite number ≥ `min` (> 0 when `positive`). */
function seconds(source: NodeJS.ProcessEnv, name: string, fallback: number, rule: { positive: boolean }): number {
  const raw = source[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || (rule.positive ? value <= 0 : value < 0)) {
    throw new Error(`${name} must be a ${rule.positive ? "positive" : "non-negative"} number of seconds (got ${JSON.stringify(raw)})`);
  }
  return value;
}

/** GDC_HEARTBEAT_STALE_SECONDS (default 120): a RUNNING run or study whose heartbeat is older is taken over. */
export const heartbeatStaleSeconds = (source: NodeJS.ProcessEnv = process.env) => seconds(source, "GDC_HEARTBEAT_STALE_SECONDS", 120, { positive: false });

/** GDC_RECOVERY_SWEEP_SECONDS (default 15): seconds between two recovery sweeps of a worker. */
export const recoverySweepSeconds = (source: NodeJS.ProcessEnv = process.env) => seconds(source, "GDC_RECOVERY_SWEEP_SECONDS", 15, { positive: true });

/** GDC_AUDIT_ANCHOR_FILE: where the worker's sweep appends audit anchors (unset: none). */
export const auditAnchorFile = (source: NodeJS.ProcessEnv = process.env): string | null => source.GDC_AUDIT_ANCHOR_FILE?.trim() || null;

/** GDC_VERBOSE: `gdc start` prints the worker's job log. */
export const verbose = (source: NodeJS.ProcessEnv = process.env): boolean => {
  const parsed = flag("GDC_VERBOSE").safeParse(source.GDC_VERBOSE);
  if (!parsed.success) throw new Error(`Invalid environment: GDC_VERBOSE: ${parsed.error.issues[0]?.message}`);
  return parsed.data ?? false;
};

/** PORT (default 4000) and HOST (default 0.0.0.0) of the standalone API. */
export function apiListenAddress(source: NodeJS.ProcessEnv = process.env): { port: number; host: string } {
  const raw = source.PORT?.trim();
  const port = raw ? Number(raw) : 4000;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`PORT must be a port number from 0 to 65535 (got ${JSON.stringify(source.PORT)})`);
  return { port, host: source.HOST?.trim() || "0.0.0.0" };
}

/** GDC_API_URL (default the local API) and GDC_TOKEN: the CLI's API client defaults. */
export function apiClientEnv(source: NodeJS.ProcessEnv = process.env): { apiUrl: string; token: string | undefined } {
  const apiUrl = source.GDC_API_URL?.trim() || "http://127.0.0.1:4000/graphql";
  if (!URL.canParse(apiUrl)) throw new Error(`GDC_API_URL must be a URL (got ${JSON.stringify(source.GDC_API_URL)})`);
  return { apiUrl, token: source.GDC_TOKEN?.trim() || undefined };
}
