/**
 * Epoch-end checkpoints. A store keeps what a killed run needs to resume at the next epoch and
 * finish with exactly the dynamics an uninterrupted run would have produced: weights, optimizer
 * moments and step, the shuffling PRNG's state, and the dynamics and history recorded so far.
 * The worker may plug in a database-backed store; memory and filesystem ones live here.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SerializedTensor, SerializedWeights } from "./model.ts";
import type { OptimizerState } from "./optimizer.ts";
import type { RngState } from "./rng.ts";

export interface EpochSummary {
  epoch: number;
  /** Weighted mean of the per-example training losses of the epoch (nats/token, averaged per example). */
  trainLoss: number;
  /** Token-level validation perplexity at the epoch's end, when it was evaluated. */
  validationPerplexity: number | null;
  examplesPerSecond: number;
  seconds: number;
}

export interface TrainingCheckpoint {
  /** Identifies the run configuration and data; a store never resumes a different run. */
  fingerprint: string;
  /** Index (0-based) of the last completed epoch. */
  epoch: number;
  weights: SerializedWeights;
  optimizer: OptimizerState;
  rng: RngState;
  /** Row-major N×T, NaN where not yet recorded. */
  dynamics: { loss: Float32Array; acc: Float32Array };
  history: EpochSummary[];
}

export interface CheckpointStore {
  save(epoch: number, state: TrainingCheckpoint): Promise<void>;
  /** The latest complete checkpoint, or null when there is none. */
  load(): Promise<TrainingCheckpoint | null>;
}

function cloneTensor(t: SerializedTensor): SerializedTensor {
  return { name: t.name, shape: [...t.shape], values: new Float32Array(t.values) };
}

function cloneCheckpoint(c: TrainingCheckpoint): TrainingCheckpoint {
  return {
    fingerprint: c.fingerprint,
    epoch: c.epoch,
    weights: c.weights.map(cloneTensor),
    optimizer: {
      step: c.optimizer.step,
      firstMoments: c.optimizer.firstMoments.map(cloneTensor),
      secondMoments: c.optimizer.secondMoments.map(cloneTensor),
    },
    rng: [...c.rng] as unknown as RngState,
    dynamics: { loss: new Float32Array(c.dynamics.loss), acc: new Float32Array(c.dynamics.acc) },
    history: c.history.map((h) => ({ ...h })),
  };
}

/**
 * Keeps every epoch's checkpoint in memory (copies, so later training cannot alter them); meant
 * for tests and short runs — each copy holds the N×T dynamics, so use the file store for big runs.
 */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly saved = new Map<number, TrainingCheckpoint>();

  async save(epoch: number, state: TrainingCheckpoint): Promise<void> {
    this.saved.set(epoch, cloneCheckpoint(state));
  }

  async load(): Promise<TrainingCheckpoint | null> {
    const epochs = [...this.saved.keys()];
    if (epochs.length === 0) return null;
    return cloneCheckpoint(this.saved.get(Math.max(...epochs))!);
  }

  /** The checkpoint written at the end of `epoch`, if any (for inspection and tests). */
  get(epoch: number): TrainingCheckpoint | null {
    const c = this.saved.get(epoch);
    return c ? cloneCheckpoint(c) : null;
  }

  get epochs(): number[] {
    return [...this.saved.keys()].sort((a, b) => a - b);
  }
}

interface TensorRef {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

interface Manifest {
  format: "gdc-checkpoint-1";
  fingerprint: string;
  epoch: number;
  rng: number[];
  history: EpochSummary[];
  optimizerStep: number;
  weights: TensorRef[];
  firstMoments: TensorRef[];
  secondMoments: TensorRef[];
  dynamics: { loss: TensorRef; acc: TensorRef };
}

/**
 * Checkpoints as `epoch-NNNNN.bin` (all float32 data) plus `epoch-NNNNN.json` (manifest) in a
 * directory. Both are written to temporary names and renamed, manifest last, so a kill during a
 * save leaves the previous checkpoint as the latest complete one. Older checkpoints beyond `keep`
 * are deleted.
 */
export class FileCheckpointStore implements CheckpointStore {
  constructor(
    readonly directory: string,
    private readonly keep = 2,
  ) {}

  async save(epoch: number, state: TrainingCheckpoint): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    const chunks: Float32Array[] = [];
    let offset = 0;
    const put = (name: string, shape: number[], values: Float32Array): TensorRef => {
      chunks.push(values);
      const ref = { name, shape, offset, length: values.length };
      offset += values.length;
      return ref;
    };
    const putAll = (ts: SerializedWeights) => ts.map((t) => put(t.name, t.shape, t.values));
    const manifest: Manifest = {
      format: "gdc-checkpoint-1",
      fingerprint: state.fingerprint,
      epoch,
      rng: [...state.rng],
      history: state.history,
      optimizerStep: state.optimizer.step,
      weights: putAll(state.weights),
      firstMoments: putAll(state.optimizer.firstMoments),
      secondMoments: putAll(state.optimizer.secondMoments),
      dynamics: {
        loss: put("loss", [state.dynamics.loss.length], state.dynamics.loss),
        acc: put("acc", [state.dynamics.acc.length], state.dynamics.acc),
      },
    };
    const blob = new Float32Array(offset);
    let at = 0;
    for (const c of chunks) {
      blob.set(c, at);
      at += c.length;
    }
    const base = join(this.directory, `epoch-${String(epoch).padStart(5, "0")}`);
    await writeFile(`${base}.bin.tmp`, new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength));
    await rename(`${base}.bin.tmp`, `${base}.bin`);
    // JSON cannot hold NaN; the dynamics live in the binary blob, the manifest has only numbers.
    await writeFile(`${base}.json.tmp`, JSON.stringify(manifest));
    await rename(`${base}.json.tmp`, `${base}.json`);
    await this.prune();
  }

  async load(): Promise<TrainingCheckpoint | null> {
    const epochs = await this.completeEpochs();
    const latest = epochs.at(-1);
    if (latest === undefined) return null;
    const base = join(this.directory, `epoch-${String(latest).padStart(5, "0")}`);
    const manifest = JSON.parse(await readFile(`${base}.json`, "utf8")) as Manifest;
    if (manifest.format !== "gdc-checkpoint-1") throw new Error(`${base}.json: unknown checkpoint format`);
    const bytes = await readFile(`${base}.bin`);
    const blob = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const get = (r: TensorRef): SerializedTensor => ({
      name: r.name,
      shape: r.shape,
      values: blob.slice(r.offset, r.offset + r.length),
    });
    return {
      fingerprint: manifest.fingerprint,
      epoch: manifest.epoch,
      weights: manifest.weights.map(get),
      optimizer: {
        step: manifest.optimizerStep,
        firstMoments: manifest.firstMoments.map(get),
        secondMoments: manifest.secondMoments.map(get),
      },
      rng: manifest.rng as unknown as RngState,
      dynamics: { loss: get(manifest.dynamics.loss).values, acc: get(manifest.dynamics.acc).values },
      history: manifest.history,
    };
  }

  private async completeEpochs(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    const has = new Set(names);
    return names
      .map((n) => /^epoch-(\d+)\.json$/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null && has.has(`epoch-${m[1]}.bin`))
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  private async prune(): Promise<void> {
    const epochs = await this.completeEpochs();
    for (const e of epochs.slice(0, Math.max(0, epochs.length - this.keep))) {
      const base = join(this.directory, `epoch-${String(e).padStart(5, "0")}`);
      await rm(`${base}.json`, { force: true });
      await rm(`${base}.bin`, { force: true });
    }
  }
}
