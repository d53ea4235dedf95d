import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { DynamicsMatrix } from "../dynamics.ts";
import { DynamicsReadError } from "../errors.ts";
import { scanJsonNumber, type ScannedNumber } from "./jsonNumber.ts";
import { ScanBuffer, scanLines } from "./lineScanner.ts";
import type { ReadOptions } from "./readOptions.ts";

/** allenai/cartography training dynamics, plus the gold label each example was scored against. */
export interface CartographyDynamics extends DynamicsMatrix {
  readonly gold: Int32Array;
}

const EPOCH_FILE = /^dynamics_epoch_(\d+)\.jsonl?$/;

/**
 * Finds the epoch files: `path` may be the `training_dynamics` folder itself or the model
 * folder that contains it. Epochs must be 0 … T−1 with no gap. allenai/cartography writes
 * `.jsonl` (and its own reader looks for `.json`), so both are accepted.
 */
export async function findEpochFiles(path: string): Promise<string[]> {
  let dir = path;
  const nested = join(path, "training_dynamics");
  if (await isDirectory(nested)) dir = nested;
  else if (!(await isDirectory(path))) {
    throw new DynamicsReadError(path, null, null, "not a folder (expected training_dynamics/dynamics_epoch_{e}.jsonl inside)");
  }
  const byEpoch = new Map<number, string>();
  for (const name of await readdir(dir)) {
    const match = EPOCH_FILE.exec(name);
    if (match === null) continue;
    const epoch = Number(match[1]);
    const other = byEpoch.get(epoch);
    if (other !== undefined) throw new DynamicsReadError(join(dir, name), null, null, `epoch ${epoch} is also in ${other}`);
    byEpoch.set(epoch, join(dir, name));
  }
  if (byEpoch.size === 0) throw new DynamicsReadError(dir, null, null, "no dynamics_epoch_{e}.jsonl files");
  const files: string[] = [];
  for (let e = 0; e < byEpoch.size; e++) {
    const file = byEpoch.get(e);
    if (file === undefined)
      throw new DynamicsReadError(
        join(dir, `dynamics_epoch_${e}.jsonl`),
        null,
        null,
        `missing (found ${byEpoch.size} epoch files, so epochs 0…${byEpoch.size - 1} are expected)`,
      );
    files.push(file);
  }
  return files;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** −1 unless `text` is a canonical non-negative integer ("0", "17", not "017" or "-1"). */
function canonicalIndex(text: string): number {
  if (text.length === 0 || text.length > 15) return -1;
  if (text.length > 1 && text.charCodeAt(0) === 48) return -1;
  let value = 0;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c < 48 || c > 57) return -1;
    value = value * 10 + (c - 48);
  }
  return value;
}

/**
 * One parsed line: guid, gold, and the logits in a reused scratch array. A guid that is a
 * non-negative integer (the usual dataset index) is kept as a number, so later epochs find
 * its row without building a string; `id` spells it out only when asked.
 */
class EpochLineParser {
  logits = new Float64Array(16);
  count = 0;
  /** The guid as a row-table index, or −1 for any other guid. */
  index = -1;
  private text: string | null = null;
  gold = 0;
  private readonly logitsKey: Buffer;
  private readonly logitsField: string;
  private readonly number: ScannedNumber = { value: 0, end: 0 };

  constructor(
    private readonly file: string,
    epoch: number,
  ) {
    this.logitsField = `logits_epoch_${epoch}`;
    this.logitsKey = Buffer.from(this.logitsField, "latin1");
  }

  parse(buf: Buffer, start: number, end: number, line: number): void {
    if (!this.parseFast(buf, start, end)) this.parseJson(buf.toString("utf8", start, end), line);
  }

  /** The guid as the example id: its string, or the decimal text of a numeric guid. */
  get id(): string {
    this.text ??= String(this.index);
    return this.text;
  }

  private setId(text: string): void {
    this.text = text;
    this.index = canonicalIndex(text);
  }

  /**
   * The common shape (`{"guid": 12 | "abc", "logits_epoch_e": [numbers], "gold": 1}`, keys in
   * any order, any whitespace) straight from bytes. Returns false on anything else — escapes,
   * extra keys, fractional ids — and JSON.parse then decides, so odd-but-valid JSON is still
   * accepted and invalid JSON gets a proper message.
   */
  private parseFast(buf: Buffer, start: number, end: number): boolean {
    let p = skipSpace(buf, start, end);
    if (buf[p] !== 123) return false;
    let seen = 0;
    const num = this.number;
    for (;;) {
      p = skipSpace(buf, p + 1, end);
      if (buf[p] !== 34 || p >= end) return false;
      const keyStart = p + 1;
      const keyEnd = buf.indexOf(34, keyStart);
      if (keyEnd === -1 || keyEnd >= end) return false;
      p = skipSpace(buf, keyEnd + 1, end);
      if (buf[p] !== 58) return false;
      p = skipSpace(buf, p + 1, end);
      const keyLength = keyEnd - keyStart;
      if (keyLength === 4 && buf[keyStart] === 103 && buf[keyStart + 1] === 117 && buf[keyStart + 2] === 105 && buf[keyStart + 3] === 100) {
        // "guid"
        if (seen & 1) return false;
        seen |= 1;
        if (buf[p] === 34) {
          const valueEnd = buf.indexOf(34, p + 1);
          if (valueEnd === -1 || valueEnd >= end) return false;
          for (let q = p + 1; q < valueEnd; q++) if (buf[q] === 92 || buf[q]! < 32) return false;
          this.setId(buf.toString("utf8", p + 1, valueEnd));
          p = valueEnd + 1;
        } else {
          // Plain non-negative integers (≤ 15 digits, so exact) only; anything else goes to
          // JSON.parse, whose String(value) is then the id.
          let q = p;
          let value = 0;
          while (q < end && buf[q]! >= 48 && buf[q]! <= 57) value = value * 10 + (buf[q++]! - 48);
          if (q === p || q - p > 15 || (buf[p] === 48 && q - p > 1)) return false;
          if (buf[q] === 46 || buf[q] === 101 || buf[q] === 69) return false;
          this.index = value;
          this.text = null;
          p = q;
        }
      } else if (keyLength === 4 && buf[keyStart] === 103 && buf[keyStart + 1] === 111 && buf[keyStart + 2] === 108 && buf[keyStart + 3] === 100) {
        // "gold"
        if (seen & 2) return false;
        seen |= 2;
        if (!scanJsonNumber(buf, p, end, num)) return false;
        this.gold = num.value;
        p = num.end;
      } else if (keyLength === this.logitsKey.length && buf.compare(this.logitsKey, 0, keyLength, keyStart, keyEnd) === 0) {
        if (seen & 4) return false;
        seen |= 4;
        if (buf[p] !== 91) return false;
        let count = 0;
        p = skipSpace(buf, p + 1, end);
        if (buf[p] !== 93) {
          for (;;) {
            if (!scanJsonNumber(buf, p, end, num)) return false;
            if (count === this.logits.length) this.growLogits();
            this.logits[count++] = num.value;
            p = skipSpace(buf, num.end, end);
            if (buf[p] === 44) p = skipSpace(buf, p + 1, end);
            else if (buf[p] === 93) break;
            else return false;
          }
        }
        this.count = count;
        p++;
      } else {
        return false;
      }
      p = skipSpace(buf, p, end);
      if (p >= end) return false;
      if (buf[p] === 44) continue;
      if (buf[p] !== 125) return false;
      return seen === 7 && skipSpace(buf, p + 1, end) === end;
    }
  }

  private growLogits(): void {
    const bigger = new Float64Array(this.logits.length * 2);
    bigger.set(this.logits);
    this.logits = bigger;
  }

  private parseJson(text: string, line: number): void {
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (err) {
      throw new DynamicsReadError(this.file, line, null, `invalid JSON (${(err as Error).message})`);
    }
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      throw new DynamicsReadError(this.file, line, null, "expected a JSON object");
    }
    const fields = record as Record<string, unknown>;
    const guid = fields.guid;
    if (typeof guid === "string") this.setId(guid);
    else if (typeof guid === "number") this.setId(String(guid));
    else throw new DynamicsReadError(this.file, line, "guid", guid === undefined ? "missing" : "must be a string or a number");
    const logits = fields[this.logitsField];
    if (!Array.isArray(logits)) {
      throw new DynamicsReadError(this.file, line, this.logitsField, logits === undefined ? "missing" : "must be an array of numbers");
    }
    while (this.logits.length < logits.length) this.growLogits();
    for (let k = 0; k < logits.length; k++) {
      const v: unknown = logits[k];
      if (typeof v !== "number") throw new DynamicsReadError(this.file, line, `${this.logitsField}[${k}]`, `${JSON.stringify(v)} is not a number`);
      this.logits[k] = v;
    }
    this.count = logits.length;
    const gold = fields.gold;
    if (gold === undefined) throw new DynamicsReadError(this.file, line, "gold", "missing");
    if (typeof gold !== "number") throw new DynamicsReadError(this.file, line, "gold", `${JSON.stringify(gold)} is not a class index`);
    this.gold = gold;
  }

  /**
   * −log softmax(logits)[gold] by a float64 log-sum-exp shifted by the max (no overflow), and
   * whether argmax (first maximum, as numpy) is gold.
   */
  lossAndCorrect(line: number, out: { loss: number; correct: number }): void {
    const { logits, count, gold } = this;
    if (count === 0) throw new DynamicsReadError(this.file, line, this.logitsField, "is empty");
    if (!Number.isInteger(gold) || gold < 0 || gold >= count) {
      throw new DynamicsReadError(this.file, line, "gold", `${gold} is not a class index in [0, ${count - 1}]`);
    }
    let max = logits[0]!;
    let argmax = 0;
    for (let k = 1; k < count; k++) {
      if (logits[k]! > max) {
        max = logits[k]!;
        argmax = k;
      }
    }
    let sum = 0;
    for (let k = 0; k < count; k++) sum += Math.exp(logits[k]! - max);
    const loss = max - logits[gold]! + Math.log(sum);
    if (!Number.isFinite(loss)) {
      throw new DynamicsReadError(this.file, line, this.logitsField, `gives a loss of ${loss} (logits must be finite)`);
    }
    out.loss = loss;
    out.correct = argmax === gold ? 1 : 0;
  }
}

function skipSpace(buf: Buffer, p: number, end: number): number {
  while (p < end) {
    const c = buf[p]!;
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    p++;
  }
  return p;
}

/**
 * guid → row. Integer guids (dataset indices, the usual case) go to a dense table, as long as
 * they are not far beyond the number of rows seen (so a few huge guids cannot blow it up);
 * every other guid goes to a Map keyed by its text.
 */
class GuidRows {
  private dense = new Int32Array(1 << 16); // guid → row + 1; 0 = absent
  private readonly byText = new Map<string, number>();

  get(parser: EpochLineParser): number | undefined {
    const index = parser.index;
    if (index >= 0 && index < this.dense.length) {
      const r = this.dense[index]!;
      if (r !== 0) return r - 1;
    }
    return this.byText.size === 0 ? undefined : this.byText.get(parser.id);
  }

  add(parser: EpochLineParser, row: number): void {
    const index = parser.index;
    if (index >= 0 && index < Math.max(1 << 20, 8 * row)) {
      if (index >= this.dense.length) {
        let length = this.dense.length;
        while (length <= index) length *= 2;
        const bigger = new Int32Array(length);
        bigger.set(this.dense);
        this.dense = bigger;
      }
      this.dense[index] = row + 1;
    } else {
      this.byText.set(parser.id, row);
    }
  }
}

class GrowableInt32 {
  data = new Int32Array(1 << 16);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
}

class GrowableFloat32 {
  data = new Float32Array(1 << 16);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
}

/**
 * Reads allenai/cartography's training dynamics (Swayamdipta et al. 2020): one file per epoch,
 * one line per example `{"guid", "logits_epoch_{e}", "gold"}`. Per example and epoch,
 * loss = −log softmax(logits)[gold] and acc = 1 if argmax(logits) = gold else 0.
 *
 * Epoch 0 fixes the examples and their order (a guid → row map); later epochs are streamed
 * into the matrix. Every later epoch must hold exactly the same guids with the same gold.
 * Throws DynamicsReadError naming file, line and field; no partial matrix is ever returned.
 */
export async function readCartographyDynamics(path: string, options: ReadOptions = {}): Promise<CartographyDynamics> {
  const files = await findEpochFiles(path);
  const T = files.length;
  let bytesTotal = 0;
  for (const file of files) bytesTotal += (await stat(file)).size;
  let bytesDone = 0;
  const onBytes = options.onProgress === undefined ? undefined : (n: number) => options.onProgress!((bytesDone += n), bytesTotal);
  const cell = { loss: 0, correct: 0 };
  const scratch = new ScanBuffer();

  // Epoch 0: discover the examples.
  const ids: string[] = [];
  const rowOf = new GuidRows();
  const firstLine = new GrowableInt32();
  const gold0 = new GrowableInt32();
  const loss0 = new GrowableFloat32();
  const acc0 = new GrowableFloat32();
  {
    const file = files[0]!;
    const parser = new EpochLineParser(file, 0);
    await scanLines(
      file,
      (buf, start, end, line) => {
        parser.parse(buf, start, end, line);
        parser.lossAndCorrect(line, cell);
        const seenAt = rowOf.get(parser);
        if (seenAt !== undefined)
          throw new DynamicsReadError(file, line, "guid", `${JSON.stringify(parser.id)} already appears on line ${firstLine.data[seenAt]}`);
        rowOf.add(parser, ids.length);
        ids.push(parser.id);
        firstLine.push(line);
        gold0.push(parser.gold);
        loss0.push(cell.loss);
        acc0.push(cell.correct);
      },
      onBytes,
      scratch,
    );
  }
  const N = ids.length;
  if (N === 0) throw new DynamicsReadError(files[0]!, null, null, "no examples");
  const gold = gold0.data.slice(0, N);
  const loss = new Float32Array(N * T);
  const acc = new Float32Array(N * T);
  for (let i = 0; i < N; i++) {
    loss[i * T] = loss0.data[i]!;
    acc[i * T] = acc0.data[i]!;
  }

  const seen = new Uint8Array(N);
  for (let e = 1; e < T; e++) {
    const file = files[e]!;
    const parser = new EpochLineParser(file, e);
    seen.fill(0);
    let rows = 0;
    await scanLines(
      file,
      (buf, start, end, line) => {
        parser.parse(buf, start, end, line);
        const row = rowOf.get(parser);
        if (row === undefined) throw new DynamicsReadError(file, line, "guid", `${JSON.stringify(parser.id)} is not in epoch 0 (${files[0]})`);
        if (seen[row] === 1) throw new DynamicsReadError(file, line, "guid", `${JSON.stringify(parser.id)} appears twice in this epoch`);
        if (parser.gold !== gold[row])
          throw new DynamicsReadError(file, line, "gold", `${parser.gold} differs from epoch 0's gold ${gold[row]} for guid ${JSON.stringify(parser.id)}`);
        parser.lossAndCorrect(line, cell);
        seen[row] = 1;
        rows++;
        loss[row * T + e] = cell.loss;
        acc[row * T + e] = cell.correct;
      },
      onBytes,
      scratch,
    );
    if (rows !== N) {
      const missing = seen.indexOf(0);
      throw new DynamicsReadError(file, null, "guid", `${JSON.stringify(ids[missing])} (from epoch 0) is missing; ${N - rows} of ${N} examples have no line`);
    }
  }
  return { ids, epochs: T, loss, acc, gold };
}
