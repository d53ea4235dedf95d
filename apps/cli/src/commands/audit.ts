import type { Command } from "commander";
import { addApiOptions, ApiClient, type ApiOptions } from "../api-client.ts";
import { CliError } from "../errors.ts";

const VERIFY_QUERY = /* GraphQL */ `
  query Verify {
    verifyAuditChain { ok checked headHash firstBrokenSeq reason }
  }
`;

export function register(program: Command): void {
  const audit = program.command("audit").description("The tamper-evident audit trail");
  addApiOptions(
    audit
      .command("verify")
      .description("Recompute the whole hash chain; exit 1 and name the first broken link if any event was altered or removed"),
  ).action(async (options: ApiOptions) => {
    const client = ApiClient.from(options);
    const { verifyAuditChain: v } = await client.request<{
      verifyAuditChain: { ok: boolean; checked: number; headHash: string; firstBrokenSeq: string | null; reason: string | null };
    }>(VERIFY_QUERY);
    if (!v.ok) {
      throw new CliError(`audit chain broken at event seq ${v.firstBrokenSeq}: ${v.reason} (${v.checked} events before it verified)`, 1);
    }
    process.stdout.write(`audit chain ok: ${v.checked} events, head ${v.headHash}\n`);
  });
}
