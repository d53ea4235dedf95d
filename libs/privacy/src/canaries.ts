/**
 * Canaries (Carlini et al. 2019): a fixed prefix followed by a random secret, inserted k times
 * into a training split, for several k. Each canary gets its own prefix so that greedy decoding
 * can be asked for *that* canary's secret; with one prefix shared by all canaries, decoding could
 * return at most one of them. By default the prefix is one template with a random name ("the
 * secret code of <name> is "); with `frames`, each canary gets its own sentence frame, so the
 * canaries do not share a template the model can learn once for all of them.
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
  /**
   * The prefix for a canary's random name and its 0-based index; default
   * `the secret code of ${name} is `. Ignored when `frames` is given.
   */
  prefix?: (name: string, index: number) => string;
  /**
   * Sentence frames, one per canary: each is a prefix in which `{name}` (optional) stands for the
   * canary's random name, e.g. "the wifi password at {name}'s cabin is ". Frames are dealt to
   * the canaries in a seeded random order (so a frame's difficulty is not tied to a repetition
   * level); there must be at least as many distinct frames as canaries.
   */
  frames?: readonly string[];
}

/**
 * Natural sentence frames for canaries, each different (CanaryOptions.frames): secrets of the
 * kind people leak — PINs, passwords, phone and account numbers — in everyday wording.
 */
export const CANARY_FRAMES: readonly string[] = [
  "my bank pin is ",
  "the wifi password at the cabin is ",
  "call the night desk on ",
  "{name}'s locker combination is ",
  "the alarm code for the shop is ",
  "her account number ends in ",
  "the door code at {name}'s flat is ",
  "my card verification number is ",
  "the safe in the back room opens with ",
  "reach {name} on the direct line ",
  "the gate at the farm takes ",
  "our booking reference is ",
  "the password for the boat is ",
  "his passport number starts with ",
  "text {name} on ",
  "the bike lock opens with ",
  "the code to the garage is ",
  "the ticket number for the claim is ",
  "dial the extension ",
  "the server room key code is ",
  "grandma's phone number is ",
  "the voicemail pin for {name} is ",
  "the member id on my card is ",
  "the combination to the vault is ",
];

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
  const count = repetitions.length * perLevel;
  const frames = options.frames ? dealFrames(options.frames, count, options.seed) : null;
  const prefixOf = frames
    ? (name: string, index: number) => frames[index]!.replaceAll("{name}", name)
    : (options.prefix ?? ((name: string) => `the secret code of ${name} is `));
  for (const k of repetitions) if (!Number.isInteger(k) || k < 1) throw new RangeError(`canary repetitions must be positive integers, got ${k}`);
  if (!Number.isInteger(perLevel) || perLevel < 1) throw new RangeError(`perLevel must be a positive integer, got ${perLevel}`);
  if (new Set(secretAlphabet).size !== [...secretAlphabet].length || secretAlphabet.length < 2) {
    throw new RangeError("secretAlphabet needs at least two distinct characters");
  }
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
      const prefix = prefixOf(name, canaries.length);
      canaries.push({ id: `canary-${String(canaries.length).padStart(2, "0")}`, prefix, secret, repetitions: k, text: prefix + secret });
    }
  }
  return { canaries, secretAlphabet, secretLength };
}

/** `count` of the distinct frames in a seeded random order (its own stream: the names and
 * secrets are those of the same seed without frames). */
function dealFrames(frames: readonly string[], count: number, seed: number): string[] {
  const distinct = [...new Set(frames)];
  if (distinct.length !== frames.length) throw new RangeError("canary frames must be distinct");
  if (distinct.length < count) throw new RangeError(`${count} canaries need at least ${count} frames, got ${distinct.length}`);
  for (const f of distinct) if (f.trim() === "") throw new RangeError("canary frames must not be empty");
  const order = Rng.fromSeed(seed, "canary-frames").permutation(distinct.length);
  return Array.from(order.subarray(0, count), (i) => distinct[i]!);
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
