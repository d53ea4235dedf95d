"use client";
import { useState, type FormEvent } from "react";
import { useClient } from "urql";
import { formatInt } from "../lib/format";
import { graphql } from "../lib/graphql";
import { can, errorMessage, type Me } from "../lib/session";

// Import examples from a JSONL file into a draft (issue 15; was CLI-only), as `gdc
// import-examples` does: every line is checked first — JSON here, the record and the dataset
// (ids that already name other content) by the API's importExamples with dryRun, batch by
// batch — and only a file with no bad line is written, batch by batch, with progress. Errors
// name the file's line.

const IMPORT = graphql(`
  mutation ImportExamples($versionId: ID!, $examples: [ExampleInput!]!, $dryRun: Boolean) {
    importExamples(input: { versionId: $versionId, examples: $examples, dryRun: $dryRun }) { received created alreadyPresent addedToVersion }
  }
`);

/** Records per request (the API takes at most 5 000). */
const BATCH = 1_000;
/** Bad lines listed before the check stops. */
const MAX_ERRORS = 20;

interface Line {
  line: number;
  record: Record<string, unknown>;
}

type Phase =
  | { kind: "idle" }
  | { kind: "checking"; done: number; total: number }
  | { kind: "importing"; done: number; total: number }
  | { kind: "refused"; errors: string[] }
  | { kind: "failed"; message: string; imported: number }
  | { kind: "done"; received: number; created: number; alreadyPresent: number; addedToVersion: number };

/** One line of the file → the API's ExampleInput (the file's lower-case split is the enum's upper case). */
function toInput(value: Record<string, unknown>): Record<string, unknown> {
  const input = { ...value };
  if (typeof input.split === "string") input.split = input.split.toUpperCase();
  if (input.payload === null) delete input.payload;
  return input;
}

/** The file's lines as records; JSON errors and ids given twice with different content, by line. */
export function readExamplesFile(text: string): { lines: Line[]; errors: string[] } {
  const lines: Line[] = [];
  const errors: string[] = [];
  const ids = new Map<string, { line: number; content: string }>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim() || errors.length >= MAX_ERRORS) return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      errors.push(`line ${line}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
      return;
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) {
      errors.push(`line ${line}: a record is a JSON object with at least "text"`);
      return;
    }
    const record = value as Record<string, unknown>;
    if (typeof record.id === "string") {
      const content = JSON.stringify([record.text, record.payload ?? null]);
      const seen = ids.get(record.id);
      if (seen && seen.content !== content) errors.push(`line ${line}: id: "${record.id}" is also used by line ${seen.line} with different content`);
      else if (!seen) ids.set(record.id, { line, content });
    }
    lines.push({ line, record: toInput(record) });
  });
  return { lines, errors };
}

/** The API names a record by its place in the request (examples[3]); the user knows the line. */
const withLines = (message: string, batch: Line[]) =>
  message.replace(/examples\[(\d+)\]/g, (m, i: string) => (batch[Number(i)] ? `line ${batch[Number(i)]!.line}` : m));

export function ImportExamples({ me, versionId, versionNumber }: { me: Me; versionId: string; versionNumber: number }) {
  const client = useClient();
  const [file, setFile] = useState<File | null>(null);
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  if (!can(me, "importExamples")) return null;
  const busy = phase.kind === "checking" || phase.kind === "importing";

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!file) return;
    const { lines, errors } = readExamplesFile(await file.text());
    if (errors.length) return setPhase({ kind: "refused", errors });
    if (lines.length === 0) return setPhase({ kind: "refused", errors: [`${file.name}: no records (the file is empty)`] });
    const batches: Line[][] = [];
    for (let i = 0; i < lines.length; i += BATCH) batches.push(lines.slice(i, i + BATCH));
    const send = (batch: Line[], dryRun: boolean) =>
      client.mutation(IMPORT, { versionId, examples: batch.map((l) => l.record) as never, dryRun }, { requestPolicy: "network-only" }).toPromise();

    // 1. Check every batch without writing: a bad line anywhere writes nothing.
    const refused: string[] = [];
    let checked = 0;
    for (const batch of batches) {
      setPhase({ kind: "checking", done: checked, total: lines.length });
      const r = await send(batch, true);
      if (r.error) refused.push(withLines(errorMessage(r.error) ?? "refused", batch));
      checked += batch.length;
      if (refused.length >= MAX_ERRORS) break;
    }
    if (refused.length) return setPhase({ kind: "refused", errors: refused });

    // 2. Write, batch by batch (each all or nothing; importing again is idempotent).
    const totals = { received: 0, created: 0, alreadyPresent: 0, addedToVersion: 0 };
    for (const batch of batches) {
      setPhase({ kind: "importing", done: totals.received, total: lines.length });
      const r = await send(batch, false);
      if (r.error || !r.data) {
        return setPhase({ kind: "failed", message: withLines(errorMessage(r.error) ?? "no answer", batch), imported: totals.received });
      }
      const d = r.data.importExamples;
      totals.received += d.received;
      totals.created += d.created;
      totals.alreadyPresent += d.alreadyPresent;
      totals.addedToVersion += d.addedToVersion;
    }
    setPhase({ kind: "done", ...totals });
  }

  return (
    <section className="card" aria-labelledby="import-title" data-testid="import-examples">
      <h2 id="import-title" style={{ marginTop: 0 }}>
        Import examples into version {versionNumber}
      </h2>
      <p className="muted">
        A JSON Lines file, one example per line: <code>text</code> (required), <code>id</code>, <code>split</code> (train, validation or test),{" "}
        <code>canary</code> {"{prefix, secret}"}, <code>payload</code>, <code>weight</code> — the format <code>gdc import-examples</code> reads and a version
        export writes. Every line is checked before anything is written.
      </p>
      <form onSubmit={onSubmit} aria-label="Import examples" className="row">
        <label htmlFor="import-file">Examples file (.jsonl)</label>
        <input
          id="import-file"
          type="file"
          accept=".jsonl,.json,.ndjson,application/x-ndjson,application/json,text/plain"
          onChange={(e) => {
            setFile(e.target.files?.[0] ?? null);
            setPhase({ kind: "idle" });
          }}
        />
        <button type="submit" className="primary" disabled={!file || busy}>
          Import
        </button>
      </form>
      {busy ? (
        <div role="status" data-testid="import-progress">
          <progress className="progress" value={phase.done} max={phase.total} aria-label={phase.kind === "checking" ? "Checking the file" : "Importing"} />
          <p>
            {phase.kind === "checking" ? "Checking" : "Importing"}: {formatInt(phase.done)} of {formatInt(phase.total)} lines
          </p>
        </div>
      ) : null}
      {phase.kind === "refused" ? (
        <div role="alert" className="error" data-testid="import-errors">
          <strong>Nothing was imported: fix these lines and import again.</strong>
          <ul>
            {phase.errors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {phase.kind === "failed" ? (
        <p role="alert" className="error">
          {phase.message}. {formatInt(phase.imported)} lines before it were imported; importing the file again is safe (examples already there are kept once).
        </p>
      ) : null}
      {phase.kind === "done" ? (
        <p role="status" className="success" data-testid="import-done">
          Imported {formatInt(phase.received)} lines: {formatInt(phase.created)} new examples, {formatInt(phase.alreadyPresent)} already in the dataset,{" "}
          {formatInt(phase.addedToVersion)} added to version {versionNumber}.
        </p>
      ) : null}
    </section>
  );
}
