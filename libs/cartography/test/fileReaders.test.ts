import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamicsReadError, inferDynamicsFormat, readCsvDynamics, readDynamics, readJsonlDynamics } from "../src/index.ts";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gdc-readers-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(root, name);
  await writeFile(path, text);
  return path;
}

async function readError(read: Promise<unknown>): Promise<DynamicsReadError> {
  const error = await read.catch((err: unknown) => err);
  expect(error).toBeInstanceOf(DynamicsReadError);
  return error as DynamicsReadError;
}

describe("JSONL reader", () => {
  it("reads one line per (id, epoch) in any order, ids in first-seen order", async () => {
    const path = await file(
      "cells.jsonl",
      [
        { id: "q", epoch: 1, loss: 0.5, accuracy: 1 },
        { id: 3, epoch: 0, loss: 2, accuracy: 0 },
        { id: "q", epoch: 0, loss: 1.5, accuracy: 0.25 },
        { id: 3, epoch: 1, loss: 1, accuracy: 0.5 },
      ]
        .map((r) => JSON.stringify(r))
        .join("\n") + "\n\n",
    );
    const dyn = await readJsonlDynamics(path);
    expect(dyn.ids).toEqual(["q", "3"]);
    expect(dyn.epochs).toBe(2);
    expect(Array.from(dyn.loss)).toEqual([1.5, 0.5, 2, 1]);
    expect(Array.from(dyn.acc)).toEqual([0.25, 1, 0, 0.5]);
  });

  it("reads one line per example with arrays", async () => {
    const path = await file("rows.jsonl", '{"id":"a","loss":[1,0.5,0.25],"accuracy":[0,0.5,1]}\r\n{"id":"b","loss":[2,2,2],"accuracy":[0,0,0]}');
    const dyn = await readJsonlDynamics(path);
    expect(dyn).toMatchObject({ ids: ["a", "b"], epochs: 3 });
    expect(Array.from(dyn.loss)).toEqual([1, 0.5, 0.25, 2, 2, 2]);
  });

  it("names file, line and field", async () => {
    const cases: [string, string, RegExp][] = [
      [
        "missing.jsonl",
        '{"id":"a","epoch":0,"loss":1,"accuracy":1}\n{"id":"a","epoch":1,"loss":1,"accuracy":1}\n{"id":"b","epoch":1,"loss":1,"accuracy":1}\n',
        /missing\.jsonl: id "b" has no value for epoch 0 \(every id needs epochs 0…1\)/,
      ],
      [
        "twice.jsonl",
        '{"id":"a","epoch":0,"loss":1,"accuracy":1}\n{"id":"a","epoch":0,"loss":2,"accuracy":1}\n',
        /twice\.jsonl:2: id "a" epoch 0 appears twice/,
      ],
      [
        "mixed.jsonl",
        '{"id":"a","epoch":0,"loss":1,"accuracy":1}\n{"id":"b","loss":[1],"accuracy":[1]}\n',
        /mixed\.jsonl:2: loss: is an array, but earlier lines have one epoch per line/,
      ],
      [
        "negative.jsonl",
        '{"id":"a","epoch":0,"loss":-1.2,"accuracy":1}\n',
        /negative\.jsonl:1: loss: -1.2 is negative \(expected cross-entropy in nats, not a log-probability\)/,
      ],
      ["acc.jsonl", '{"id":"a","epoch":0,"loss":1,"accuracy":1.5}\n', /acc\.jsonl:1: accuracy: 1.5 is not a number in \[0, 1\]/],
      ["nan.jsonl", '{"id":"a","epoch":0,"loss":NaN,"accuracy":1}\n', /nan\.jsonl:1: invalid JSON/],
      ["epoch.jsonl", '{"id":"a","epoch":0.5,"loss":1,"accuracy":1}\n', /epoch\.jsonl:1: epoch: 0.5 is not a non-negative integer/],
      ["noid.jsonl", '{"epoch":0,"loss":1,"accuracy":1}\n', /noid\.jsonl:1: id: missing/],
      [
        "ragged.jsonl",
        '{"id":"a","loss":[1,2],"accuracy":[1,1]}\n{"id":"b","loss":[1],"accuracy":[1]}\n',
        /ragged\.jsonl:2: loss: has 1 epochs, but the first line has 2/,
      ],
      ["dup.jsonl", '{"id":"a","loss":[1],"accuracy":[1]}\n{"id":"a","loss":[1],"accuracy":[1]}\n', /dup\.jsonl:2: id: "a" already appears on line 1/],
      ["rowacc.jsonl", '{"id":"a","loss":[1,2],"accuracy":[1,"x"]}\n', /rowacc\.jsonl:1: accuracy\[1\]: "x" is not a number in \[0, 1\]/],
      ["empty.jsonl", "\n", /empty\.jsonl: no training-dynamics lines/],
    ];
    for (const [name, text, message] of cases) {
      expect((await readError(readJsonlDynamics(await file(name, text)))).message, name).toMatch(message);
    }
  });
});

describe("CSV reader", () => {
  it("reads id,epoch,loss,accuracy rows (quoted ids, CRLF, BOM, any row order)", async () => {
    const path = await file("dyn.csv", '\ufeffid,epoch,loss,accuracy\r\n"a,1",1,0.5,1\r\n"a,1",0,1.5,0\r\nplain,0,2,0\r\nplain,1,1e-1,1\r\n');
    const dyn = await readCsvDynamics(path);
    expect(dyn.ids).toEqual(["a,1", "plain"]);
    expect(Array.from(dyn.loss)).toEqual([1.5, 0.5, 2, Math.fround(0.1)]);
    expect(Array.from(dyn.acc)).toEqual([0, 1, 0, 1]);
  });

  it("accepts the columns in any order", async () => {
    const dyn = await readCsvDynamics(await file("order.csv", "loss,accuracy,id,epoch\n0.5,1,x,0\n"));
    expect(dyn).toMatchObject({ ids: ["x"], epochs: 1 });
  });

  it("names file, line and column", async () => {
    const cases: [string, string, RegExp][] = [
      ["header.csv", "id,epoch,loss,acc\n", /header\.csv:1: unexpected column "acc"; the header must be id,epoch,loss,accuracy/],
      ["short.csv", "id,epoch,loss\n", /short\.csv:1: missing column accuracy/],
      ["nan.csv", "id,epoch,loss,accuracy\na,0,1,1\na,1,nan,1\n", /nan\.csv:3: loss: "nan" is not a finite number/],
      ["blank.csv", "id,epoch,loss,accuracy\na,0,,1\n", /blank\.csv:2: loss: "" is not a finite number/],
      ["fields.csv", "id,epoch,loss,accuracy\na,0,1\n", /fields\.csv:2: has 3 fields, the header has 4/],
      ["gap.csv", "id,epoch,loss,accuracy\na,0,1,1\na,2,1,1\n", /gap\.csv: id "a" has no value for epoch 1/],
      ["dup.csv", "id,epoch,loss,accuracy\na,0,1,1\na,1,1,1\na,1,2,1\n", /dup\.csv:4: id "a" epoch 1 appears twice/],
      ["quote.csv", 'id,epoch,loss,accuracy\n"a,0,1,1\n', /quote\.csv:2: unterminated quoted field/],
      ["epoch.csv", "id,epoch,loss,accuracy\na,-1,1,1\n", /epoch\.csv:2: epoch: -1 is not a non-negative integer/],
      ["acc.csv", "id,epoch,loss,accuracy\na,0,1,2\n", /acc\.csv:2: accuracy: 2 is not a number in \[0, 1\]/],
      ["none.csv", "", /none\.csv: empty file/],
    ];
    for (const [name, text, message] of cases) {
      expect((await readError(readCsvDynamics(await file(name, text)))).message, name).toMatch(message);
    }
  });
});

describe("format dispatch", () => {
  it("infers the format from a folder or the extension", async () => {
    expect(await inferDynamicsFormat(root)).toBe("cartography");
    expect(await inferDynamicsFormat(await file("x.csv", ""))).toBe("csv");
    expect(await inferDynamicsFormat(await file("x.JSONL", ""))).toBe("jsonl");
    await expect(inferDynamicsFormat(await file("x.txt", ""))).rejects.toThrow(/cannot tell the format/);
    await expect(inferDynamicsFormat(join(root, "absent.csv"))).rejects.toThrow(/no such file/);
    await expect(readDynamics(root, "csv")).rejects.toThrow(/is a folder, not a csv file/);
  });

  it("reports progress in bytes", async () => {
    const path = await file("progress.csv", "id,epoch,loss,accuracy\na,0,1,1\n");
    const seen: [number, number][] = [];
    await readDynamics(path, "csv", { onProgress: (done, total) => seen.push([done, total]) });
    expect(seen.at(-1)).toEqual([31, 31]);
  });
});
