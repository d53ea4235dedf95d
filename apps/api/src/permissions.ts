import { DomainError, type Role } from "@gdc/db";
import type { ApiContext } from "./context.ts";

/**
 * Who may call each mutation: the one place the rule lives. ARCHITECTURE.md prints this
 * table; the authorization-matrix test checks every mutation × role (and no token) against it,
 * and that every Mutation field of the schema is in it. Each mutation resolver calls
 * `authorize(ctx, "<name>")` first. Queries need any valid token (VIEWER and up) except the
 * fields in PUBLIC_QUERY_FIELDS, checked once per operation (`authorizeQueryFields`, run by the
 * server before execution); field-level redaction (canary secrets) is in
 * `canSeeCanarySecrets`. Rules that depend on the data (four eyes, released versions, token
 * ownership) live in the services, not here.
 */
export const MUTATION_PERMISSIONS = {
  createDataset: ["ADMIN", "ENGINEER"],
  importExamples: ["ADMIN", "ENGINEER"],
  createDraftVersion: ["ADMIN", "ENGINEER"],
  startRun: ["ADMIN", "ENGINEER"],
  createExternalRun: ["ADMIN", "ENGINEER"],
  ingestDynamics: ["ADMIN", "ENGINEER"],
  finishRun: ["ADMIN", "ENGINEER"],
  cancelRun: ["ADMIN", "ENGINEER"],
  proposeInterventions: ["ADMIN", "ENGINEER", "REVIEWER"],
  reviewIntervention: ["ADMIN", "REVIEWER"],
  reviewInterventions: ["ADMIN", "REVIEWER"],
  releaseVersion: ["ADMIN", "ENGINEER"],
  setReleaseGate: ["ADMIN"],
  createUser: ["ADMIN"],
  createApiToken: ["ADMIN", "ENGINEER", "REVIEWER", "VIEWER"],
  revokeApiToken: ["ADMIN", "ENGINEER", "REVIEWER", "VIEWER"],
  startStudy: ["ADMIN", "ENGINEER"],
  cancelStudy: ["ADMIN", "ENGINEER"],
} as const satisfies Record<string, readonly Role[]>;

export type MutationName = keyof typeof MUTATION_PERMISSIONS;

/** Extra rules on top of the table, stated where the table is. */
export const PERMISSION_NOTES: Partial<Record<MutationName, string>> = {
  reviewIntervention: "never on an intervention the caller proposed (four eyes)",
  reviewInterventions: "the same, for each intervention; all or nothing",
  releaseVersion: "a blocked release gate can be overridden by ADMIN only, with a reason",
  createApiToken: "for oneself; ADMIN also for other users",
  revokeApiToken: "one's own tokens; ADMIN any token",
};

export function requireUser(ctx: Pick<ApiContext, "user">) {
  if (!ctx.user) throw new DomainError("UNAUTHENTICATED", "A valid API token is required (Authorization: Bearer <token>)");
  return ctx.user;
}

/** Throws UNAUTHENTICATED without a token, FORBIDDEN when the role may not call `mutation`. */
export function authorize(ctx: Pick<ApiContext, "user">, mutation: MutationName) {
  const user = requireUser(ctx);
  const allowed: readonly Role[] = MUTATION_PERMISSIONS[mutation];
  if (!allowed.includes(user.role)) {
    throw new DomainError("FORBIDDEN", `${mutation} needs one of the roles ${allowed.join(", ")}; you are ${user.role}`);
  }
  return user;
}

export const canSeeCanarySecrets = (ctx: Pick<ApiContext, "user">) => ctx.user?.role === "ADMIN" || ctx.user?.role === "ENGINEER";

/** Query fields that answer without a token (`me` is null then); everything else needs one. */
export const PUBLIC_QUERY_FIELDS: readonly string[] = ["me"];

/**
 * Throws UNAUTHENTICATED when an anonymous caller selects a query field that needs a token.
 * Introspection fields (`__schema`, `__type`, `__typename`) are public.
 */
export function authorizeQueryFields(ctx: Pick<ApiContext, "user">, topLevelFields: Iterable<string>) {
  if (ctx.user) return;
  for (const field of topLevelFields) {
    if (!field.startsWith("__") && !PUBLIC_QUERY_FIELDS.includes(field)) {
      throw new DomainError("UNAUTHENTICATED", `${field} needs a valid API token (Authorization: Bearer <token>)`);
    }
  }
}
