import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeScores, DynamicsReadError, readCartographyDynamics, readDynamics } from "../src/index.ts";
import { scanJsonNumber } from "../src/readers/jsonNumber.ts";

// Three examples × four epochs of 3-class logits, written the way allenai/cartography's
// log_training_dynamics does (pandas to_json, one file per epoch).
const golds: Record<string, number> = { "0": 0, b: 2, "7": 1 };
const logits: Record<string, number[][]> = {
  "0": [
    [1.0, 0.5, -0.2],
    [0.1, 0.9, 0.3],
    [2.0, -1.0, 0.0],
    [0.3, 0.2, 0.1],
  ],
  b: [
    [0.2, 0.2, 0.2],
    [-1.5, 0.0, 2.5],
    [3.0, 0.0, 3.0],
    [0.0, 0.0, 1.0],
  ],
  "7": [
    [0.0, 4.0, -4.0],
    [1.0, 1.0, 0.0],
    [-2.0, 0.5, 0.4],
    [5.0, -3.0, 1.0],
  ],
};
// Expected values, computed with numpy from the published definitions (train_dy_filtering.py:
// confidence = mean softmax prob of gold, variability = np.std, correctness = correct epochs,
// here as a fraction; argmax ties go to the first maximum) and from mtoneva/example_forgetting
// (forgetting events = transitions of correctness 1 → 0).
const expected: Record<string, { confidence: number; variability: number; correctness: number; forgets: number }> = {
  "0": { confidence: 0.4900045708056981, variability: 0.23006503198285916, correctness: 0.75, forgets: 1 }, // correct 1 0 1 1
  b: { confidence: 0.576516423379511, variability: 0.2105852968837722, correctness: 0.5, forgets: 1 }, // 0 1 0 1
  "7": { confidence: 0.47690735648873567, variability: 0.3484280919497436, correctness: 0.5, forgets: 2 }, // 1 0 1 0
};

// Line order in every file (object keys would put the integer-like guids first).
const ORDER = ["0", "b", "7"];

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gdc-cartography-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function guidJson(guid: string): string {
  return /^\d+$/.test(guid) ? guid : JSON.stringify(guid);
}

async function writeRun(name: string, lineOf: (guid: string, epoch: number) => string | null, epochs = 4, ext = "jsonl"): Promise<string> {
  const dir = join(root, name, "training_dynamics");
  await mkdir(dir, { recursive: true });
  for (let e = 0; e < epochs; e++) {
    const lines = ORDER.map((guid) => lineOf(guid, e)).filter((l): l is string => l !== null);
    await writeFile(join(dir, `dynamics_epoch_${e}.${ext}`), lines.join("\n") + "\n");
  }
  return join(root, name);
}

const pandasLine = (guid: string, e: number) => `{"guid":${guidJson(guid)},"logits_epoch_${e}":${JSON.stringify(logits[guid]![e])},"gold":${golds[guid]}}`;

describe("allenai/cartography reader", () => {
  it("matches compute_train_dy_metrics and the example-forgetting counts", async () => {
    const dir = await writeRun("pandas", pandasLine);
    const dyn = await readCartographyDynamics(dir);
    expect(dyn.ids).toEqual(["0", "b", "7"]);
    expect(Array.from(dyn.gold)).toEqual([0, 2, 1]);
    expect(dyn.epochs).toBe(4);
    const scores = computeScores(dyn, { learnedBy: "accuracy", tau: 1 });
    dyn.ids.forEach((id, i) => {
      const want = expected[id]!;
      expect(Math.abs(scores.confidence[i]! - want.confidence)).toBeLessThan(1e-6);
      expect(Math.abs(scores.variability[i]! - want.variability)).toBeLessThan(1e-6);
      expect(scores.correctness[i]).toBe(want.correctness);
      expect(scores.forgetEvents[i]).toBe(want.forgets);
    });
  });

  it("computes loss as −log softmax(logits)[gold] in float64 and acc from argmax (first max)", async () => {
    const dir = await writeRun("loss", pandasLine);
    const dyn = await readCartographyDynamics(join(dir, "training_dynamics"));
    const l = logits.b![2]!; // [3, 0, 3], gold 2: argmax is 0, so incorrect
    const want = Math.log(Math.exp(3) + Math.exp(0) + Math.exp(3)) - 3;
    expect(dyn.loss[1 * 4 + 2]).toBe(Math.fround(want));
    expect(dyn.acc[1 * 4 + 2]).toBe(0);
    expect(l).toHaveLength(3);
    expect(dyn.acc[2 * 4 + 0]).toBe(1);
  });

  it("reads odd-but-valid JSON (spaces, key order, escapes, extra keys, exponents) like the fast path", async () => {
    const odd = (guid: string, e: number) => {
      const values = logits[guid]!.at(e)!.map((v) => (v === 0 ? "0e0" : v.toExponential()));
      const g = guid === "b" ? '"\\u0062"' : guidJson(guid); // "b", escaped
      return ` { "gold" : ${golds[guid]}.0 ,\t"extra": {"x": [1, 2]}, "logits_epoch_${e}" : [ ${values.join(" , ")} ], "guid": ${g} } `;
    };
    const plain = await readCartographyDynamics(await writeRun("plain", pandasLine));
    const fancy = await readCartographyDynamics(await writeRun("odd", odd));
    expect(fancy.ids).toEqual(plain.ids);
    expect(Array.from(fancy.loss)).toEqual(Array.from(plain.loss));
    expect(Array.from(fancy.acc)).toEqual(Array.from(plain.acc));
  });

  it("accepts .json epoch files (what allenai's own reader looks for) and string guids in later epochs in any order", async () => {
    const dir = await writeRun("json-ext", pandasLine, 4, "json");
    expect((await readCartographyDynamics(dir)).ids).toEqual(["0", "b", "7"]);
    expect((await readDynamics(dir, "cartography")).epochs).toBe(4);
  });

  it("names file, line and field on errors, and returns nothing", async () => {
    const cases: [string, (guid: string, e: number) => string | null, RegExp][] = [
      ["bad-json", (g, e) => (g === "b" && e === 2 ? "{not json" : pandasLine(g, e)), /dynamics_epoch_2\.jsonl:2: invalid JSON/],
      [
        "bad-gold",
        (g, e) => (g === "7" && e === 0 ? pandasLine(g, e).replace('"gold":1', '"gold":3') : pandasLine(g, e)),
        /dynamics_epoch_0\.jsonl:3: gold: 3 is not a class index in \[0, 2\]/,
      ],
      [
        "gold-changes",
        (g, e) => (g === "7" && e === 1 ? pandasLine(g, e).replace('"gold":1', '"gold":0') : pandasLine(g, e)),
        /dynamics_epoch_1\.jsonl:3: gold: 0 differs from epoch 0's gold 1/,
      ],
      ["no-logits", (g, e) => (g === "0" && e === 3 ? `{"guid":0,"gold":0}` : pandasLine(g, e)), /dynamics_epoch_3\.jsonl:1: logits_epoch_3: missing/],
      [
        "wrong-epoch-key",
        (g, e) => (e === 1 ? pandasLine(g, 0).replace('"guid"', '"guid"') : pandasLine(g, e)),
        /dynamics_epoch_1\.jsonl:1: logits_epoch_1: missing/,
      ],
      [
        "null-logit",
        (g, e) => (g === "b" && e === 1 ? pandasLine(g, e).replace("2.5", "null") : pandasLine(g, e)),
        /dynamics_epoch_1\.jsonl:2: logits_epoch_1\[2\]: null is not a number/,
      ],
      ["missing-guid", (g, e) => (g === "b" && e === 2 ? null : pandasLine(g, e)), /dynamics_epoch_2\.jsonl: guid: "b" \(from epoch 0\) is missing/],
      [
        "new-guid",
        (g, e) => (g === "b" && e === 2 ? pandasLine(g, e).replace('"b"', '"c"') : pandasLine(g, e)),
        /dynamics_epoch_2\.jsonl:2: guid: "c" is not in epoch 0/,
      ],
      ["duplicate", (g, e) => (g === "b" && e === 0 ? pandasLine("0", 0) : pandasLine(g, e)), /dynamics_epoch_0\.jsonl:2: guid: "0" already appears on line 1/],
    ];
    for (const [name, lineOf, message] of cases) {
      const dir = await writeRun(name, lineOf);
      const error = await readCartographyDynamics(dir).catch((err: unknown) => err);
      expect(error, name).toBeInstanceOf(DynamicsReadError);
      expect((error as Error).message, name).toMatch(message);
    }
  });

  it("keys guids by value: integer indices, huge or negative numbers and strings", async () => {
    const dir = join(root, "guids", "training_dynamics");
    await mkdir(dir, { recursive: true });
    const guids = ["5", "1000000000000", "-3", '"007"', '"x"', "2000000"];
    for (let e = 0; e < 2; e++) {
      const order = e === 0 ? guids : [...guids].reverse();
      await writeFile(join(dir, `dynamics_epoch_${e}.jsonl`), order.map((g) => `{"guid":${g},"logits_epoch_${e}":[1,0],"gold":0}`).join("\n"));
    }
    expect((await readCartographyDynamics(dir)).ids).toEqual(["5", "1000000000000", "-3", "007", "x", "2000000"]);
    // The string "5" and the number 5 are the same id.
    await writeFile(join(dir, "dynamics_epoch_1.jsonl"), guids.map((g) => `{"guid":${g === "5" ? '"5"' : g},"logits_epoch_1":[1,0],"gold":0}`).join("\n"));
    expect((await readCartographyDynamics(dir)).ids).toHaveLength(6);
    await writeFile(join(dir, "dynamics_epoch_0.jsonl"), `{"guid":5,"logits_epoch_0":[1,0],"gold":0}\n{"guid":"5","logits_epoch_0":[1,0],"gold":0}\n`);
    await expect(readCartographyDynamics(dir)).rejects.toThrow(/dynamics_epoch_0\.jsonl:2: guid: "5" already appears on line 1/);
  });

  it("needs every epoch file from 0 to T − 1", async () => {
    const dir = await writeRun("gap", pandasLine, 3);
    await rm(join(dir, "training_dynamics", "dynamics_epoch_1.jsonl"));
    await expect(readCartographyDynamics(dir)).rejects.toThrow(/dynamics_epoch_1\.jsonl: missing/);
    await mkdir(join(root, "empty"), { recursive: true });
    await expect(readCartographyDynamics(join(root, "empty"))).rejects.toThrow(/no dynamics_epoch/);
    await expect(readCartographyDynamics(join(root, "nowhere"))).rejects.toThrow(/not a folder/);
  });
});

describe("the byte-level JSON number scanner", () => {
  const scan = (text: string) => {
    const out = { value: 0, end: 0 };
    const buf = Buffer.from(`${text},`);
    return scanJsonNumber(buf, 0, buf.length, out) ? out : null;
  };

  it("gives exactly what JSON.parse gives", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.integer().map((i) => i / 1000),
        ),
        (x) => {
          const text = JSON.stringify(x);
          expect(Object.is(scan(text)?.value, JSON.parse(text))).toBe(true);
          expect(scan(text)?.end).toBe(text.length);
        },
      ),
      { numRuns: 2000 },
    );
    for (const text of ["0", "-0", "0.1", "1e-7", "1E+2", "-2.5e-3", "123456789012345678", "0.30000000000000004", "1e400", "4.9e-324"]) {
      expect(Object.is(scan(text)!.value, JSON.parse(text)), text).toBe(true);
    }
  });

  it("refuses what is not a JSON number", () => {
    for (const text of ["", "-", ".5", "1.", "1e", "+1", "x"]) expect(scan(text), text).toBeNull();
  });
});
