import { conflict } from "../errors.ts";

/** A released version never changes: every mutation on one fails with this error. */
export function assertDraft(version: { id: string; status: string; number?: number }) {
  if (version.status !== "DRAFT") {
    throw conflict(`DatasetVersion ${version.id} is released and can no longer change; create a draft version from it instead`);
  }
}
