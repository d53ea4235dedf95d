import pg from "pg";
import type { Database } from "../database.ts";
import { TOKEN_REVOKED_CHANNEL } from "./api-tokens.ts";

/** A connection that hears token revocations made by any process (revokeApiToken NOTIFYs in its transaction). */
export interface RevocationListener {
  /** Resolves once LISTEN is in place; rejects (after onLost) when it could not be set up. */
  readonly ready: Promise<void>;
  /** Ends the connection (onLost is not called). */
  close(): Promise<void>;
}

/**
 * Listens on PostgreSQL for revoked tokens (issue 12: the API's token cache no longer opens its
 * own driver connection). `onRevoked` gets each revoked token's hash; `onLost` is called once
 * when the connection fails or ends (the caller must then forget what it cached and may listen
 * again). PostgreSQL only: the embedded store belongs to one process, which hears its own
 * revocations through onTokenRevokedHere.
 */
export function listenForRevokedTokens(
  db: Database,
  { onRevoked, onLost }: { onRevoked: (tokenHash: string) => void; onLost: () => void },
): RevocationListener {
  if (!db.connectionString) throw new Error("listenForRevokedTokens needs PostgreSQL (the embedded store has no other processes to hear)");
  const client = new pg.Client({ connectionString: db.connectionString });
  let ended = false;
  const lost = () => {
    if (ended) return;
    ended = true;
    client.end().catch(() => {});
    onLost();
  };
  client.on("error", lost);
  client.on("end", lost);
  client.on("notification", (message) => {
    if (message.channel === TOKEN_REVOKED_CHANNEL && message.payload) onRevoked(message.payload);
  });
  const ready = (async () => {
    await client.connect();
    await client.query(`LISTEN ${TOKEN_REVOKED_CHANNEL}`);
  })();
  ready.catch(lost);
  return {
    ready,
    async close() {
      ended = true;
      await client.end().catch(() => {});
    },
  };
}
