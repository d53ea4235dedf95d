/**
 * Character-level tokenizer. Ids 0..3 are reserved: padding, begin and end of sequence, and
 * unknown characters (seen at evaluation but not when the tokenizer was fitted). Characters are
 * Unicode code points, sorted, so fitting on the same texts always yields the same ids.
 */
export const PAD_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
export const UNK_ID = 3;
const RESERVED = 4;

export interface CharTokenizerJSON {
  kind: "char";
  characters: string[];
}

export class CharTokenizer {
  readonly characters: readonly string[];
  private readonly idOf: Map<string, number>;

  private constructor(characters: readonly string[]) {
    this.characters = characters;
    this.idOf = new Map(characters.map((c, i) => [c, i + RESERVED]));
  }

  /** Vocabulary of every code point that occurs in `texts`. */
  static fit(texts: Iterable<string>): CharTokenizer {
    const seen = new Set<string>();
    for (const text of texts) for (const c of text) seen.add(c);
    return new CharTokenizer([...seen].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
  }

  static fromJSON(json: CharTokenizerJSON): CharTokenizer {
    if (json.kind !== "char") throw new Error(`unknown tokenizer kind ${String(json.kind)}`);
    return new CharTokenizer([...json.characters]);
  }

  toJSON(): CharTokenizerJSON {
    return { kind: "char", characters: [...this.characters] };
  }

  get vocabSize(): number {
    return this.characters.length + RESERVED;
  }

  /** Character ids of `text`, without begin/end markers. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const c of text) ids.push(this.idOf.get(c) ?? UNK_ID);
    return ids;
  }

  /**
   * A training sequence: BOS, the characters, EOS. Texts longer than `maxTokens` are cut and then
   * carry no EOS, so the model is never taught that a passage ends where it was truncated.
   */
  encodeExample(text: string, maxTokens = Infinity): number[] {
    const ids = [BOS_ID, ...this.encode(text), EOS_ID];
    return ids.length > maxTokens ? ids.slice(0, maxTokens) : ids;
  }

  /** Characters of the ids; special ids are dropped, unknown ones become U+FFFD. */
  decode(ids: Iterable<number>): string {
    let out = "";
    for (const id of ids) {
      if (id === UNK_ID) out += "\uFFFD";
      else if (id >= RESERVED) out += this.characters[id - RESERVED] ?? "\uFFFD";
    }
    return out;
  }
}
