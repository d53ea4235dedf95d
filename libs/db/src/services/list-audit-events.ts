import { z } from "zod";
import type { Database } from "../database.ts";
import type { AuditEvent } from "../generated/prisma/client.ts";
import { parseOptions } from "./parse-options.ts";

const optionsSchema = z.object({
  targetType: z.string().max(100).nullish(),
  targetId: z.string().max(200).nullish(),
  first: z.number().int().min(1).max(500).default(50),
  /** The `seq` of the last event of the previous page (the page's endCursor). */
  after: z
    .string()
    .regex(/^\d{1,19}$/, "must be an event seq (the previous page's endCursor)")
    .nullish(),
});
export type ListAuditEventsOptions = z.input<typeof optionsSchema>;

export interface AuditEventPage {
  events: AuditEvent[];
  hasNextPage: boolean;
  /** The last event's seq; pass it as `after` for the next page. */
  endCursor: string | null;
}

/** Audit events, newest first (descending seq), optionally for one target; cursor = seq. */
export async function listAuditEvents(db: Database, options: ListAuditEventsOptions = {}): Promise<AuditEventPage> {
  const { targetType, targetId, first, after } = parseOptions(optionsSchema, options);
  const rows = await db.prisma.auditEvent.findMany({
    where: {
      ...(targetType ? { targetType } : {}),
      ...(targetId ? { targetId } : {}),
      ...(after ? { seq: { lt: BigInt(after) } } : {}),
    },
    orderBy: { seq: "desc" },
    take: first + 1,
  });
  const events = rows.slice(0, first);
  return { events, hasNextPage: rows.length > first, endCursor: events.at(-1)?.seq.toString() ?? null };
}
