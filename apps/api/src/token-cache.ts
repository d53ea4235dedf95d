import {
  authenticateTokenHash,
  hashToken,
  listenForRevokedTokens,
  onTokenRevokedHere,
  type AuthenticatedUser,
  type Database,
  type RevocationListener,
} from "@gdc/db";

/** Longest a cached authentication is trusted without asking the database again. */
export const TOKEN_CACHE_TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;
const RECONNECT_MS = [500, 1_000, 2_000, 5_000, 10_000, 30_000];

/**
 * Bearer token → user, remembered between requests so that a request does not pay a database
 * round trip to learn who is calling (every API request authenticates).
 *
 * Revocation stays immediate: a revocation in this process drops the token before the
 * revoking call returns (onTokenRevokedHere), and one in any other process reaches us by
 * PostgreSQL LISTEN (libs/db listenForRevokedTokens; revokeApiToken NOTIFYs in its transaction). The cache is used only while
 * that listener is connected: when it drops, every entry is forgotten and each request asks
 * the database until the listener is back. A lookup that was in flight while any revocation
 * arrived is not cached (generation check). Only successful lookups are cached, so a new
 * token works at once. The embedded store belongs to one process, so there the local signal
 * is all there is to hear.
 */
export class TokenCache {
  private readonly entries = new Map<string, { user: AuthenticatedUser; at: number }>();
  private generation = 0;
  private live = false;
  private closed = false;
  private listener: RevocationListener | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private attempts = 0;
  private readonly stopLocal: () => void;

  private constructor(private readonly db: Database) {
    this.stopLocal = onTokenRevokedHere((hash) => this.forget(hash));
  }

  /** A cache for `db`; on PostgreSQL it starts listening (and works uncached until it is). */
  static async open(db: Database): Promise<TokenCache> {
    const cache = new TokenCache(db);
    if (db.connectionString) await cache.connect();
    else cache.live = true;
    return cache;
  }

  /** Whether revocations are being heard (and so the cache is in use). */
  get listening(): boolean {
    return this.live;
  }

  async authenticate(token: string): Promise<AuthenticatedUser | null> {
    const hash = hashToken(token);
    if (!this.live) return authenticateTokenHash(this.db, hash);
    const hit = this.entries.get(hash);
    if (hit && Date.now() - hit.at < TOKEN_CACHE_TTL_MS) return hit.user;
    const generation = this.generation;
    const user = await authenticateTokenHash(this.db, hash);
    if (user && this.live && generation === this.generation) {
      this.entries.delete(hash);
      this.entries.set(hash, { user, at: Date.now() });
      if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    } else if (!user) {
      this.entries.delete(hash);
    }
    return user;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopLocal();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.goDeaf();
    await this.listener?.close();
    this.listener = null;
  }

  private forget(hash: string) {
    this.generation++;
    this.entries.delete(hash);
  }

  private goDeaf() {
    this.live = false;
    this.generation++;
    this.entries.clear();
  }

  private async connect(): Promise<void> {
    const listener: RevocationListener = listenForRevokedTokens(this.db, {
      onRevoked: (hash) => this.forget(hash),
      onLost: () => {
        if (this.listener !== listener) return;
        this.listener = null;
        this.goDeaf();
        this.scheduleReconnect();
      },
    });
    this.listener = listener;
    try {
      await listener.ready;
    } catch {
      return; // onLost went deaf and scheduled the reconnect
    }
    if (this.listener !== listener || this.closed) return;
    this.attempts = 0;
    // Whatever was revoked while nobody listened is not in the (emptied) cache.
    this.generation++;
    this.entries.clear();
    this.live = true;
  }

  private scheduleReconnect() {
    if (this.closed || this.reconnectTimer) return;
    const delay = RECONNECT_MS[Math.min(this.attempts++, RECONNECT_MS.length - 1)]!;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }
}
