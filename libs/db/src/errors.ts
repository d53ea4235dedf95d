/**
 * Typed domain errors. The API maps `code` to GraphQL `extensions.code`; the CLI prints the
 * message and exits non-zero. `field` names the input field (or file line) that was wrong.
 */
export type DomainErrorCode = "BAD_USER_INPUT" | "NOT_FOUND" | "CONFLICT" | "FORBIDDEN" | "UNAUTHENTICATED";

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export const badInput = (field: string, message: string) => new DomainError("BAD_USER_INPUT", `${field}: ${message}`, field);
export const notFound = (what: string, id: string) => new DomainError("NOT_FOUND", `${what} ${id} not found`);
export const conflict = (message: string) => new DomainError("CONFLICT", message);
export const forbidden = (message: string) => new DomainError("FORBIDDEN", message);
