/**
 * Canaries (Carlini et al. 2019): a fixed prefix followed by a random secret, inserted k times
 * into a training split, for several k. Each canary gets its own prefix (a fixed template with a
 * random name) so that greedy decoding can be asked for *that* canary's secret; with one prefix
 * shared by all canaries, decoding could return at most one of them.
 */
import { Rng } from "@gdc/model";

export interface Canary {
  /** Stable id, e.g. "canary-03". */
  id: string;
  /** Text the secret follows, e.g. "the secret code of kobra is ". */
  prefix: string;
  secret: string;
  /** How many copies go into the training split. */
  repetitions: number;
  /** prefix + secret: the training text. */
  text: string;
}

export interface CanaryOptions {
  seed: number;
  /** Repetition levels k; default [1, 4, 16]. */
  repetitions?: number[];
  /** Canaries per level; default 2. */
  perLevel?: number;
  /** Characters a secret is drawn from (uniformly, independently); default the ten digits. */
  secretAlphabet?: string;
  /** Default 6 (10⁶ possible digit secrets). */
  secretLength?: number;
  /** The prefix for a canary's random name; default `the secret code of ${name} is `. */
  prefix?: (name: string) => string;
}

export interface CanarySet {
  canaries: Canary[];
  secretAlphabet: string;
  secretLength: number;
}

const NAME_LETTERS = "abcdefghijklmnopqrstuvwxyz";

export function randomSecret(rng: Rng, alphabet: string, length: number): string {
  const chars = [...alphabet];
  let s = "";
  for (let i = 0; i < length; i++) s += chars[rng.nextInt(chars.length)]!;
  return s;
}

/** Canaries with distinct secrets and distinct random 5-letter names, seeded. */
export function createCanaries(options: CanaryOptions): CanarySet {
  const repetitions = options.repetitions ?? [1, 4, 16];
  const perLevel = options.perLevel ?? 2;
  const secretAlphabet = options.secretAlphabet ?? "0123456789";
  const secretLength = options.secretLength ?? 6;
  const prefixOf = options.prefix ?? ((name: string) => `the secret code of ${name} is `);
  for (const k of repetitions) if (!Number.isInteger(k) || k < 1) throw new RangeError(`canary repetitions must be positive integers, got ${k}`);
  if (!Number.isInteger(perLevel) || perLevel < 1) throw new RangeError(`perLevel must be a positive integer, got ${perLevel}`);
  if (new Set(secretAlphabet).size !== [...secretAlphabet].length || secretAlphabet.length < 2) {
    throw new RangeError("secretAlphabet needs at least two distinct characters");
  }
  const count = repetitions.length * perLevel;
  if ([...secretAlphabet].length ** secretLength < 2 * count) throw new RangeError("secret space too small for this many canaries");
  const rng = Rng.fromSeed(options.seed, "canaries");
  const names = new Set<string>();
  const secrets = new Set<string>();
  const canaries: Canary[] = [];
  for (const k of repetitions) {
    for (let j = 0; j < perLevel; j++) {
      let name: string;
      do name = randomSecret(rng, NAME_LETTERS, 5);
      while (names.has(name));
      names.add(name);
      let secret: string;
      do secret = randomSecret(rng, secretAlphabet, secretLength);
      while (secrets.has(secret));
      secrets.add(secret);
      const prefix = prefixOf(name);
      canaries.push({ id: `canary-${String(canaries.length).padStart(2, "0")}`, prefix, secret, repetitions: k, text: prefix + secret });
    }
  }
  return { canaries, secretAlphabet, secretLength };
}

export interface CanaryExample {
  /** e.g. "canary-03#2" (copy 2 of canary-03). */
  id: string;
  text: string;
  canaryId: string;
  canary: true;
}

/** The training examples to insert: each canary repeated `repetitions` times. */
export function canaryExamples(set: CanarySet): CanaryExample[] {
  return set.canaries.flatMap((c) =>
    Array.from({ length: c.repetitions }, (_, copy) => ({ id: `${c.id}#${copy}`, text: c.text, canaryId: c.id, canary: true as const })),
  );
}

/**
 * `count` distinct random secrets of the canaries' format that were never inserted (the
 * reference set R). When the space holds fewer than count + inserted secrets, all non-inserted
 * secrets are returned.
 */
export function sampleReferenceSecrets(set: CanarySet, count: number, seed: number): string[] {
  const inserted = new Set(set.canaries.map((c) => c.secret));
  const alphabet = [...set.secretAlphabet];
  const space = alphabet.length ** set.secretLength;
  const available = space - inserted.size;
  if (count >= available) {
    const all: string[] = [];
    for (let i = 0; i < space; i++) {
      let s = "";
      for (let p = 0, v = i; p < set.secretLength; p++, v = Math.floor(v / alphabet.length)) s = alphabet[v % alphabet.length]! + s;
      if (!inserted.has(s)) all.push(s);
    }
    return all;
  }
  const rng = Rng.fromSeed(seed, "references");
  const chosen = new Set<string>();
  while (chosen.size < count) {
    const s = randomSecret(rng, set.secretAlphabet, set.secretLength);
    if (!inserted.has(s)) chosen.add(s);
  }
  return [...chosen];
}
