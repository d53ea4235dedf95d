import { createHash } from "node:crypto";

/** Names the canonical form below; a future change of form gets a new tag (and new hashes). */
export const CONTENT_HASH_FORMAT = "gdc.content-hash.v1";

/**
 * The canonical text of a weight. Weights are stored as float32 (REAL), so the value is first
 * rounded to float32 (Math.fround), then written with 9 significant digits (toPrecision(9)) —
 * enough to tell any two float32 values apart, and the same string however the weight was
 * read back (0.3 read as the double 0.3 or as 0.30000001192092896 both give "0.300000012").
 * Weight 1 is "1.00000000".
 */
export function canonicalWeight(weight: number): string {
  const w = Math.fround(weight);
  if (!Number.isFinite(w)) throw new RangeError(`weight ${weight} is not finite`);
  return (w === 0 ? 0 : w).toPrecision(9);
}

export interface ContentPair {
  /** Example.contentHash (SHA-256 hex of its canonical payload). */
  contentHash: string;
  weight: number;
}

/**
 * The content hash of a version: SHA-256 (hex) over
 *
 *     "gdc.content-hash.v1\n" + for each pair, sorted by (contentHash, weight text) in byte order:
 *         contentHash + " " + canonicalWeight(weight) + "\n"
 *
 * Only what is in the version counts — not ids, order, or the history that produced it — so
 * two identical curations hash identically.
 */
export class ContentHasher {
  private readonly hash = createHash("sha256").update(`${CONTENT_HASH_FORMAT}\n`);
  private last = "";

  /** Add pairs in sorted order (callers stream them sorted from the database). */
  add(pair: ContentPair): void {
    const line = `${pair.contentHash} ${canonicalWeight(pair.weight)}\n`;
    if (line < this.last) throw new Error("ContentHasher: pairs must be added in sorted order");
    this.last = line;
    this.hash.update(line);
  }

  digest(): string {
    return this.hash.digest("hex");
  }
}

/** The content hash of pairs in any order (sorts a copy). */
export function contentHashOf(pairs: readonly ContentPair[]): string {
  const lines = pairs.map((p) => `${p.contentHash} ${canonicalWeight(p.weight)}\n`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash("sha256").update(`${CONTENT_HASH_FORMAT}\n`);
  for (const line of lines) hash.update(line);
  return hash.digest("hex");
}
