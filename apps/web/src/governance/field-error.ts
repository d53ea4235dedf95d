import type { CombinedError } from "urql";
import { errorMessage } from "../lib/session";

/**
 * The API's message for a refused input, led by the field it names (extensions.field, e.g.
 * `modelConfig.learningRate` or `policy.params.percent`) when the message does not already say it.
 */
export function fieldError(error: CombinedError | undefined): string | null {
  const message = errorMessage(error);
  if (!message) return null;
  const field = error?.graphQLErrors[0]?.extensions?.field;
  return typeof field === "string" && field && !message.includes(field) ? `${field}: ${message}` : message;
}
