import { stat } from "node:fs/promises";
import type { DynamicsMatrix } from "../dynamics.ts";
import { DynamicsReadError } from "../errors.ts";
import { checkAccuracy, checkEpoch, checkLoss, DynamicsCells } from "./dynamicsCells.ts";
import { scanLines } from "./lineScanner.ts";
import type { ReadOptions } from "./readOptions.ts";

const COLUMNS = ["id", "epoch", "loss", "accuracy"] as const;
type Column = (typeof COLUMNS)[number];

/** A plain decimal number, as a spreadsheet or Python writes it (no hex, no "Infinity", no blanks). */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Splits one CSV record (RFC 4180: fields may be double-quoted, "" is a quote inside quotes).
 * Records spanning lines are not supported: dynamics ids with newlines are refused.
 */
function splitCsvLine(text: string, file: string, line: number): string[] {
  const fields: string[] = [];
  let p = 0;
  for (;;) {
    if (text.charCodeAt(p) === 34) {
      let value = "";
      let q = p + 1;
      for (;;) {
        const close = text.indexOf('"', q);
        if (close === -1) throw new DynamicsReadError(file, line, null, "unterminated quoted field");
        value += text.slice(q, close);
        if (text.charCodeAt(close + 1) === 34) {
          value += '"';
          q = close + 2;
        } else {
          p = close + 1;
          break;
        }
      }
      fields.push(value);
      if (p === text.length) return fields;
      if (text.charCodeAt(p) !== 44) throw new DynamicsReadError(file, line, null, `unexpected character after a quoted field at column ${p + 1}`);
      p++;
    } else {
      const comma = text.indexOf(",", p);
      if (comma === -1) {
        fields.push(text.slice(p));
        return fields;
      }
      fields.push(text.slice(p, comma));
      p = comma + 1;
    }
  }
}

function parseNumberField(file: string, line: number, field: Column, text: string): number {
  const trimmed = text.trim();
  if (!DECIMAL.test(trimmed)) throw new DynamicsReadError(file, line, field, `${JSON.stringify(text)} is not a finite number`);
  return Number(trimmed);
}

/**
 * Reads CSV with a header naming the columns id, epoch, loss, accuracy (in any order; no
 * other columns), one row per example and epoch, in any order. Ids keep first-seen order.
 * Throws DynamicsReadError naming file, line and column; nothing is returned on an error.
 */
export async function readCsvDynamics(file: string, options: ReadOptions = {}): Promise<DynamicsMatrix> {
  const bytesTotal = (await stat(file)).size;
  let bytesDone = 0;
  const onBytes = options.onProgress === undefined ? undefined : (n: number) => options.onProgress!((bytesDone += n), bytesTotal);

  const cells = new DynamicsCells(file);
  let index: Record<Column, number> | null = null;
  let width = 0;
  await scanLines(
    file,
    (buf, start, end, line) => {
      const fields = splitCsvLine(buf.toString("utf8", start, end), file, line);
      if (index === null) {
        const names = fields.map((f) => f.trim());
        const found: Partial<Record<Column, number>> = {};
        names.forEach((name, k) => {
          if (!(COLUMNS as readonly string[]).includes(name)) {
            throw new DynamicsReadError(file, line, null, `unexpected column ${JSON.stringify(name)}; the header must be ${COLUMNS.join(",")}`);
          }
          if (found[name as Column] !== undefined) throw new DynamicsReadError(file, line, null, `column ${name} appears twice`);
          found[name as Column] = k;
        });
        for (const column of COLUMNS) {
          if (found[column] === undefined) throw new DynamicsReadError(file, line, null, `missing column ${column}; the header must be ${COLUMNS.join(",")}`);
        }
        index = found as Record<Column, number>;
        width = names.length;
        return;
      }
      if (fields.length !== width) throw new DynamicsReadError(file, line, null, `has ${fields.length} fields, the header has ${width}`);
      const id = fields[index.id]!;
      if (id === "") throw new DynamicsReadError(file, line, "id", "is empty");
      const epoch = checkEpoch(file, line, parseNumberField(file, line, "epoch", fields[index.epoch]!));
      const loss = checkLoss(file, line, "loss", parseNumberField(file, line, "loss", fields[index.loss]!));
      const accuracy = checkAccuracy(file, line, "accuracy", parseNumberField(file, line, "accuracy", fields[index.accuracy]!));
      cells.add(id, epoch, loss, accuracy, line);
    },
    onBytes,
  );
  if (index === null) throw new DynamicsReadError(file, null, null, `empty file; expected a header ${COLUMNS.join(",")}`);
  return cells.toMatrix();
}
