/**
 * The study's training examples: ordinary train passages plus every canary copy, and the canary
 * sets the audit measures. Canaries come from the corpus (a dataset version's canary examples)
 * and/or are synthesised (createCanaries); each copy is its own example, so a policy can catch
 * some copies of a canary and miss others.
 */
import { canaryExamples, createCanaries, type Canary, type CanaryOptions, type CanarySet } from "@gdc/privacy";
import { StudyInputError, type StudyPassage } from "./corpus.ts";

export interface StudyExample {
  id: string;
  text: string;
  /** The canary this example is a copy of, or null for ordinary data. */
  canaryId: string | null;
}

/** One reference space: canaries whose secrets share length and alphabet are audited together. */
export interface AuditGroup {
  set: CanarySet;
}

export interface StudyData {
  examples: StudyExample[];
  validationTexts: string[];
  canaries: Canary[];
  auditGroups: AuditGroup[];
  /** Train passages that are not canaries. */
  ordinaryExamples: number;
}

const DIGITS = "0123456789";
const LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";

/**
 * The alphabet reference secrets are drawn from for a corpus canary group: digits when every
 * secret is digits, else lower-case letters and digits when that covers them, else exactly the
 * characters that occur (sorted).
 */
export function referenceAlphabet(secrets: readonly string[]): string {
  const chars = new Set(secrets.flatMap((s) => [...s]));
  const within = (alphabet: string) => [...chars].every((c) => alphabet.includes(c));
  if (within(DIGITS)) return DIGITS;
  if (within(LOWER_ALNUM)) return LOWER_ALNUM;
  return [...chars].sort().join("");
}

export function buildStudyData(corpus: readonly StudyPassage[], synthetic: CanaryOptions | null): StudyData {
  const examples: StudyExample[] = [];
  const corpusCanaries: Canary[] = [];
  let ordinaryExamples = 0;
  // Passages holding the same canary (prefix and secret) are copies of one canary, whether the
  // corpus lists each copy (as a dataset version does) or gives a repetition count.
  const byContent = new Map<string, Canary>();
  for (const p of corpus) {
    if (p.split !== "train") continue;
    if (!p.canary) {
      examples.push({ id: p.id, text: p.text, canaryId: null });
      ordinaryExamples++;
      continue;
    }
    const repetitions = p.canary.repetitions ?? 1;
    const key = `${p.canary.prefix}\u0000${p.canary.secret}`;
    let canary = byContent.get(key);
    if (canary) {
      canary.repetitions += repetitions;
    } else {
      canary = { id: p.id, prefix: p.canary.prefix, secret: p.canary.secret, repetitions, text: p.text };
      byContent.set(key, canary);
      corpusCanaries.push(canary);
    }
    for (let copy = 0; copy < repetitions; copy++) {
      examples.push({ id: repetitions === 1 ? p.id : `${p.id}#${copy}`, text: p.text, canaryId: canary.id });
    }
  }
  const auditGroups: AuditGroup[] = [];
  // Corpus canaries: one reference space per (secret length, alphabet).
  const byShape = new Map<string, Canary[]>();
  for (const c of corpusCanaries) {
    const key = `${[...c.secret].length}`;
    byShape.set(key, [...(byShape.get(key) ?? []), c]);
  }
  for (const group of byShape.values()) {
    const alphabet = referenceAlphabet(group.map((c) => c.secret));
    const secretLength = [...group[0]!.secret].length;
    if ([...alphabet].length < 2)
      throw new StudyInputError(`canary ${JSON.stringify(group[0]!.id)}`, "secret alphabet needs at least two distinct characters to sample reference secrets");
    auditGroups.push({ set: { canaries: group, secretAlphabet: alphabet, secretLength } });
  }
  const canaries = [...corpusCanaries];
  if (synthetic) {
    let set: CanarySet;
    try {
      set = createCanaries(synthetic);
    } catch (err) {
      if (err instanceof RangeError) throw new StudyInputError("canaries", err.message);
      throw err;
    }
    auditGroups.push({ set });
    canaries.push(...set.canaries);
    for (const c of canaryExamples(set)) examples.push({ id: c.id, text: c.text, canaryId: c.canaryId });
  }
  const ids = new Set<string>();
  for (const e of examples) {
    if (ids.has(e.id))
      throw new StudyInputError(`example ${JSON.stringify(e.id)}`, "id collides with another example (synthetic canaries are named canary-NN#copy)");
    ids.add(e.id);
  }
  if (canaries.length === 0) throw new StudyInputError("canaries", "the study needs canaries: none in the corpus and synthetic canaries are disabled");
  const validationTexts = corpus.filter((p) => p.split === "validation").map((p) => p.text);
  return { examples, validationTexts, canaries, auditGroups, ordinaryExamples };
}
