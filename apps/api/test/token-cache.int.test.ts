// Authentication is remembered between requests, yet a revoked token stops working at once:
// revoked in this process, in another process (PostgreSQL NOTIFY), and while the listener
// is down (then nothing is remembered).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import pg from "pg";
import { createApiToken, hashToken, openDatabase, revokeApiToken, systemActor, TOKEN_REVOKED_CHANNEL, type Database } from "@gdc/db";
import { createTestDatabase, seedUser, type TestDatabase } from "@gdc/db/testing";
import { TokenCache } from "../src/token-cache.ts";

let t: TestDatabase;
let userId: string;
beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await seedUser(t.db, "REVIEWER")).user.id;
});
afterAll(async () => t?.dispose());

const newToken = () => createApiToken(t.db, systemActor("test"), { userId, name: "cache" });

async function eventually(check: () => Promise<boolean>, what: string) {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("TokenCache", () => {
  test("a token revoked in this process fails on the very next request", async () => {
    const cache = await TokenCache.open(t.db);
    try {
      const { token, id } = await newToken();
      expect((await cache.authenticate(token))?.id).toBe(userId);
      expect((await cache.authenticate(token))?.id).toBe(userId);
      await revokeApiToken(t.db, systemActor("test"), { tokenId: id });
      expect(await cache.authenticate(token)).toBeNull();
    } finally {
      await cache.close();
    }
  });

  test("unknown tokens are not remembered: a token created later works at once", async () => {
    const cache = await TokenCache.open(t.db);
    try {
      expect(await cache.authenticate("gdc_not-yet")).toBeNull();
      const { token } = await newToken();
      expect((await cache.authenticate(token))?.id).toBe(userId);
    } finally {
      await cache.close();
    }
  });

  test.runIf(Boolean(process.env.DATABASE_URL))("a revocation committed by another process reaches the cache by NOTIFY", async () => {
    const cache = await TokenCache.open(t.db);
    // Another process: its own connections, and its own in-process signal never reaches us.
    const other: Database = await openDatabase({ databaseUrl: t.db.connectionString! });
    try {
      await eventually(async () => cache.listening, "the listener to connect");
      const { token, id } = await newToken();
      expect((await cache.authenticate(token))?.id).toBe(userId);
      // Revoke behind the cache's back (no local signal): only NOTIFY can tell it.
      await other.sql(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, [id]);
      expect((await cache.authenticate(token))?.id).toBe(userId); // remembered, as designed
      await other.sql(`SELECT pg_notify('gdc_token_revoked', token_hash) FROM api_tokens WHERE id = $1`, [id]);
      await eventually(async () => (await cache.authenticate(token)) === null, "the revoked token to fail");
    } finally {
      await other.close();
      await cache.close();
    }
  });

  test.runIf(Boolean(process.env.DATABASE_URL))("revokeApiToken announces the token's hash on the channel once it commits", async () => {
    const listener = new pg.Client({ connectionString: t.db.connectionString! });
    await listener.connect();
    try {
      const heard: string[] = [];
      listener.on("notification", (m) => m.channel === TOKEN_REVOKED_CHANNEL && heard.push(m.payload ?? ""));
      await listener.query(`LISTEN ${TOKEN_REVOKED_CHANNEL}`);
      const { token, id } = await newToken();
      await revokeApiToken(t.db, systemActor("test"), { tokenId: id });
      await eventually(async () => heard.length > 0, "the notification");
      expect(heard).toEqual([hashToken(token)]);
    } finally {
      await listener.end();
    }
  });

  test.runIf(Boolean(process.env.DATABASE_URL))("while the listener is down nothing is remembered; it reconnects by itself", async () => {
    const cache = await TokenCache.open(t.db);
    try {
      await eventually(async () => cache.listening, "the listener to connect");
      const { token, id } = await newToken();
      expect((await cache.authenticate(token))?.id).toBe(userId);
      // Cut the listener's connection (as a server restart or network failure would).
      await t.db.sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'`);
      await eventually(async () => !cache.listening, "the cache to notice the lost listener");
      // A revocation nobody announces is still seen: the cache is out of use.
      await t.db.sql(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, [id]);
      expect(await cache.authenticate(token)).toBeNull();
      await eventually(async () => cache.listening, "the listener to reconnect");
      const fresh = await newToken();
      expect((await cache.authenticate(fresh.token))?.id).toBe(userId);
    } finally {
      await cache.close();
    }
  });
});
