"use client";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { ErrorNote } from "../components/Shell";
import { graphql } from "../lib/graphql";
import { can, type Me } from "../lib/session";
import { fieldError } from "./field-error";

// Start a tracked run on a released version from the UI (issue 15; was CLI-only). The API
// validates the model and training configuration (libs/model's schema) and names the field it
// refuses; this form sends what was typed and shows that answer, it does not re-check bounds.

const START_RUN = graphql(`
  mutation StartRun($input: StartRunInput!) { startRun(input: $input) { id status } }
`);

/** A number field's value: empty is "use the default" (left out), anything else is sent as typed. */
const numberOrUndefined = (text: string) => (text.trim() === "" ? undefined : Number(text));

export function StartRunForm({ me, versionId, versionNumber }: { me: Me; versionId: string; versionNumber: number }) {
  const router = useRouter();
  const [name, setName] = useState("");
  const [epochs, setEpochs] = useState("6");
  const [seed, setSeed] = useState("0");
  const [architecture, setArchitecture] = useState("");
  const [batchSize, setBatchSize] = useState("");
  const [learningRate, setLearningRate] = useState("");
  const [extra, setExtra] = useState("");
  const [localError, setLocalError] = useState<string | null>(null);
  const [result, startRun] = useMutation(START_RUN);
  if (!can(me, "startRun")) return null;

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setLocalError(null);
    let modelConfig: Record<string, unknown> = {};
    if (extra.trim()) {
      try {
        const parsed: unknown = JSON.parse(extra);
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
        modelConfig = parsed as Record<string, unknown>;
      } catch {
        setLocalError('modelConfig: the advanced configuration must be a JSON object, e.g. {"clipNorm": 1}');
        return;
      }
    }
    if (architecture) modelConfig = { ...modelConfig, model: { ...((modelConfig.model as object) ?? {}), architecture } };
    const batch = numberOrUndefined(batchSize);
    const rate = numberOrUndefined(learningRate);
    if (batch !== undefined) modelConfig.batchSize = batch;
    if (rate !== undefined) modelConfig.learningRate = rate;
    const r = await startRun({
      input: {
        versionId,
        name: name.trim() || null,
        epochs: numberOrUndefined(epochs) ?? 6,
        seed: numberOrUndefined(seed) ?? 0,
        modelConfig,
      },
    });
    if (r.data) router.push(`/runs/${r.data.startRun.id}`);
  }

  return (
    <section className="card" aria-labelledby="start-run-title" data-testid="start-run">
      <h2 id="start-run-title" style={{ marginTop: 0 }}>
        Train a model on version {versionNumber}
      </h2>
      <p className="muted">
        A tracked run trains the built-in language model on this version (canaries included, for the privacy audit) and scores every example. Empty fields take
        the defaults.
      </p>
      <form onSubmit={onSubmit} aria-label="Start a run" noValidate>
        <div className="row">
          <div className="field">
            <label htmlFor="run-name">Run name</label>
            <input id="run-name" type="text" maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="run-epochs">Epochs</label>
            <input id="run-epochs" type="number" step={1} value={epochs} onChange={(e) => setEpochs(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="run-seed">Seed</label>
            <input id="run-seed" type="number" step={1} value={seed} onChange={(e) => setSeed(e.target.value)} />
          </div>
        </div>
        <div className="row">
          <div className="field">
            <label htmlFor="run-architecture">Architecture</label>
            <select id="run-architecture" value={architecture} onChange={(e) => setArchitecture(e.target.value)}>
              <option value="">default (transformer)</option>
              <option value="transformer">transformer</option>
              <option value="gru">gru</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="run-batch-size">Batch size</label>
            <input id="run-batch-size" type="number" step={1} placeholder="default" value={batchSize} onChange={(e) => setBatchSize(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="run-learning-rate">Learning rate</label>
            <input
              id="run-learning-rate"
              type="number"
              step="any"
              placeholder="default"
              value={learningRate}
              onChange={(e) => setLearningRate(e.target.value)}
            />
          </div>
        </div>
        <div className="field">
          <label htmlFor="run-model-config">Advanced model configuration (JSON, optional)</label>
          <textarea
            id="run-model-config"
            rows={2}
            placeholder='{"maxTokens": 64, "model": {"architecture": "gru", "hiddenSize": 64}}'
            value={extra}
            onChange={(e) => setExtra(e.target.value)}
          />
        </div>
        <button type="submit" className="primary" disabled={result.fetching}>
          {result.fetching ? "Starting…" : "Start run"}
        </button>
      </form>
      <ErrorNote message={localError ?? fieldError(result.error)} />
    </section>
  );
}
