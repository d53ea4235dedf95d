import type { Command } from "commander";
import { auditAnchorFile, checkAuditAnchors, makeAuditAnchor, appendAuditAnchor, readAuditAnchors, readAuditKey } from "@gdc/db";
import { addApiOptions, ApiClient, type ApiOptions } from "../api-client.ts";
import { CliError } from "../errors.ts";

const VERIFY_QUERY = /* GraphQL */ `
  query Verify {
    verifyAuditChain { ok checked headHash firstBrokenSeq reason }
  }
`;

/** The newest event with seq < `before` (or the head when `before` is null). */
const EVENT_QUERY = /* GraphQL */ `
  query Event($after: String) {
    auditEvents(first: 1, after: $after) { nodes { seq hash } }
  }
`;

type AnchorOptions = ApiOptions & { anchor?: string };

function anchorOption(command: Command): Command {
  return command.option(
    "--anchor <file>",
    "the audit anchor file (default: GDC_AUDIT_ANCHOR_FILE); anchors are signed with GDC_AUDIT_KEY / GDC_AUDIT_KEY_FILE when set",
    auditAnchorFile() ?? undefined,
  );
}

async function eventHash(client: ApiClient, seq: string | null): Promise<{ seq: string; hash: string } | null> {
  const after = seq === null ? null : (BigInt(seq) + 1n).toString();
  const { auditEvents } = await client.request<{ auditEvents: { nodes: { seq: string; hash: string }[] } }>(EVENT_QUERY, { after });
  const event = auditEvents.nodes[0];
  if (!event) return null;
  return seq === null || event.seq === seq ? event : null;
}

export function register(program: Command): void {
  const audit = program.command("audit").description("The tamper-evident audit trail");
  addApiOptions(
    anchorOption(
      audit
        .command("verify")
        .description(
          "Recompute the whole hash chain; exit 1 and name the first broken link if any event was altered or removed. With --anchor, also check every anchored head still exists with its hash (detects truncation and a recomputed chain)",
        ),
    ),
  ).action(async (options: AnchorOptions) => {
    const client = ApiClient.from(options);
    const { verifyAuditChain: v } = await client.request<{
      verifyAuditChain: { ok: boolean; checked: number; headHash: string; firstBrokenSeq: string | null; reason: string | null };
    }>(VERIFY_QUERY);
    if (!v.ok) {
      throw new CliError(`audit chain broken at event seq ${v.firstBrokenSeq}: ${v.reason} (${v.checked} events before it verified)`, 1);
    }
    if (options.anchor) {
      const key = readAuditKey();
      const anchors = readAuditAnchors(options.anchor);
      const checked = await checkAuditAnchors(anchors, async (seq) => (await eventHash(client, seq))?.hash ?? null, key);
      if (!checked.ok) {
        throw new CliError(`audit chain does not match its anchor (${options.anchor}) at seq ${checked.firstBroken!.seq}: ${checked.firstBroken!.reason}`, 1);
      }
      process.stdout.write(
        `audit chain ok: ${v.checked} events, head ${v.headHash}; ${checked.checked} anchor(s) match${key ? " (signatures verified)" : " (unsigned: no GDC_AUDIT_KEY)"}\n`,
      );
      return;
    }
    process.stdout.write(
      `audit chain ok: ${v.checked} events, head ${v.headHash} (no anchor checked: pass --anchor to detect truncation or a recomputed chain)\n`,
    );
  });

  addApiOptions(
    anchorOption(
      audit
        .command("anchor")
        .description("Append the current chain head to the anchor file (signed with GDC_AUDIT_KEY when set); keep the file outside the database"),
    ),
  ).action(async (options: AnchorOptions) => {
    if (!options.anchor) throw new CliError("gdc audit anchor needs --anchor <file> (or GDC_AUDIT_ANCHOR_FILE)", 2);
    const client = ApiClient.from(options);
    const head = await eventHash(client, null);
    if (!head) throw new CliError("the audit trail is empty: nothing to anchor", 1);
    const key = readAuditKey();
    const written = appendAuditAnchor(options.anchor, makeAuditAnchor(head, key));
    process.stdout.write(
      `${written ? "anchored" : "already anchored"}: seq ${head.seq}, head ${head.hash}${key ? " (signed)" : " (unsigned: no GDC_AUDIT_KEY)"}\n`,
    );
  });
}
