// What each role may do, mirrored from apps/api/src/permissions.ts so the UI can hide or
// disable what would be refused. The API stays the authority: a refused call still shows
// the API's message.
export type Role = "ADMIN" | "ENGINEER" | "REVIEWER" | "VIEWER";

export const MUTATION_ROLES = {
  createDataset: ["ADMIN", "ENGINEER"],
  importExamples: ["ADMIN", "ENGINEER"],
  createDraftVersion: ["ADMIN", "ENGINEER"],
  startRun: ["ADMIN", "ENGINEER"],
  createExternalRun: ["ADMIN", "ENGINEER"],
  finishRun: ["ADMIN", "ENGINEER"],
  cancelRun: ["ADMIN", "ENGINEER"],
  proposeInterventions: ["ADMIN", "ENGINEER", "REVIEWER"],
  reviewIntervention: ["ADMIN", "REVIEWER"],
  reviewInterventions: ["ADMIN", "REVIEWER"],
  releaseVersion: ["ADMIN", "ENGINEER"],
  overrideReleaseGate: ["ADMIN"],
  setReleaseGate: ["ADMIN"],
  startStudy: ["ADMIN", "ENGINEER"],
} as const satisfies Record<string, readonly Role[]>;

export type Action = keyof typeof MUTATION_ROLES;

export function can(role: Role | undefined | null, action: Action): boolean {
  if (!role) return false;
  return (MUTATION_ROLES[action] as readonly Role[]).includes(role);
}

export function rolesFor(action: Action): string {
  return MUTATION_ROLES[action].join(" or ");
}
