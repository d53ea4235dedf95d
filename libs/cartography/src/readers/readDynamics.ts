import { stat } from "node:fs/promises";
import type { DynamicsMatrix } from "../dynamics.ts";
import { DynamicsReadError } from "../errors.ts";
import { readCartographyDynamics } from "./cartographyReader.ts";
import { readCsvDynamics } from "./csvReader.ts";
import { readJsonlDynamics } from "./jsonlReader.ts";
import type { ReadOptions } from "./readOptions.ts";

export const DYNAMICS_FORMATS = ["cartography", "jsonl", "csv"] as const;
export type DynamicsFormat = (typeof DYNAMICS_FORMATS)[number];

/** A folder is allenai/cartography's layout; otherwise the file extension decides. */
export async function inferDynamicsFormat(path: string): Promise<DynamicsFormat> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch {
    throw new DynamicsReadError(path, null, null, "no such file or folder");
  }
  if (isDirectory) return "cartography";
  if (/\.jsonl?$/i.test(path)) return "jsonl";
  if (/\.csv$/i.test(path)) return "csv";
  throw new DynamicsReadError(path, null, null, "cannot tell the format from the name; say cartography, jsonl or csv");
}

export async function readDynamics(path: string, format: DynamicsFormat, options: ReadOptions = {}): Promise<DynamicsMatrix> {
  if (format !== "cartography") {
    try {
      if ((await stat(path)).isDirectory()) throw new DynamicsReadError(path, null, null, `is a folder, not a ${format} file`);
    } catch (err) {
      if (err instanceof DynamicsReadError) throw err;
      throw new DynamicsReadError(path, null, null, "no such file");
    }
  }
  switch (format) {
    case "cartography":
      return readCartographyDynamics(path, options);
    case "jsonl":
      return readJsonlDynamics(path, options);
    case "csv":
      return readCsvDynamics(path, options);
  }
}
