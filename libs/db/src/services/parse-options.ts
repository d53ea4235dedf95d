import type { z } from "zod";
import { badInput } from "../errors.ts";

/**
 * Validates a service's options object with its zod schema; the first problem becomes a
 * BAD_USER_INPUT naming the field (`exampleIds.3`, `reason`, …).
 */
export function parseOptions<S extends z.ZodType>(schema: S, options: unknown): z.output<S> {
  const parsed = schema.safeParse(options);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length ? issue.path.map(String).join(".") : "options";
  throw badInput(field, issue.message);
}
