/**
 * Small autoregressive character language models written directly on TF.js ops (no tf.layers),
 * so that every weight has a stable name, is initialised from our own seeded PRNG (identical on
 * every backend), and can be serialised and restored exactly for checkpoints.
 *
 * Two architectures share one interface: `forward(inputIds [B,T]) → logits [B,T,V]`, where
 * position t predicts token t+1. Padding is only ever on the right, so causal models never let it
 * influence real positions; the loss masks it out.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "./rng.ts";
import { CharTokenizer, type CharTokenizerJSON } from "./tokenizer.ts";

export interface GruConfig {
  architecture: "gru";
  embeddingSize: number;
  hiddenSize: number;
  layers: number;
}

export interface TransformerConfig {
  architecture: "transformer";
  modelSize: number;
  heads: number;
  layers: number;
  feedForwardSize: number;
  /** Longest sequence (in tokens, BOS and EOS included) the position table covers. */
  maxPositions: number;
}

export type ModelConfig = GruConfig | TransformerConfig;

export interface SerializedTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** A model's weights in its own order; what checkpoints store. */
export type SerializedWeights = SerializedTensor[];

export interface SerializedLanguageModel {
  config: ModelConfig;
  tokenizer: CharTokenizerJSON;
  weights: SerializedWeights;
}

interface Parameter {
  name: string;
  variable: tf.Variable;
}

// TF.js registers variables globally by name; each model instance gets its own prefix.
let instanceCounter = 0;

export class LanguageModel {
  readonly config: ModelConfig;
  readonly tokenizer: CharTokenizer;
  private readonly params: Parameter[] = [];
  private readonly byName = new Map<string, tf.Variable>();
  private readonly causalMasks = new Map<number, tf.Tensor2D>();
  private readonly prefix = `gdc_lm${instanceCounter++}`;
  private disposed = false;

  private constructor(config: ModelConfig, tokenizer: CharTokenizer, seed: number) {
    validateConfig(config);
    this.config = config;
    this.tokenizer = tokenizer;
    const rng = Rng.fromSeed(seed, "init");
    const V = tokenizer.vocabSize;
    if (config.architecture === "gru") {
      const { embeddingSize: E, hiddenSize: H } = config;
      this.add("embedding", [V, E], uniform(rng, 0.05));
      for (let l = 0; l < config.layers; l++) {
        const inSize = l === 0 ? E : H;
        this.add(`gru${l}/input_kernel`, [inSize, 3 * H], glorot(rng, inSize, 3 * H));
        this.add(`gru${l}/recurrent_kernel`, [H, 3 * H], glorot(rng, H, 3 * H));
        this.add(`gru${l}/input_bias`, [3 * H], zeros());
        this.add(`gru${l}/recurrent_bias`, [3 * H], zeros());
      }
      this.add("output/kernel", [H, V], glorot(rng, H, V));
      this.add("output/bias", [V], zeros());
    } else {
      const { modelSize: D, feedForwardSize: F } = config;
      this.add("token_embedding", [V, D], normal(rng, 0.02));
      this.add("position_embedding", [config.maxPositions, D], normal(rng, 0.02));
      for (let l = 0; l < config.layers; l++) {
        this.add(`block${l}/ln1/gamma`, [D], ones());
        this.add(`block${l}/ln1/beta`, [D], zeros());
        this.add(`block${l}/attention/qkv_kernel`, [D, 3 * D], glorot(rng, D, 3 * D));
        this.add(`block${l}/attention/qkv_bias`, [3 * D], zeros());
        this.add(`block${l}/attention/out_kernel`, [D, D], glorot(rng, D, D));
        this.add(`block${l}/attention/out_bias`, [D], zeros());
        this.add(`block${l}/ln2/gamma`, [D], ones());
        this.add(`block${l}/ln2/beta`, [D], zeros());
        this.add(`block${l}/ffn/kernel1`, [D, F], glorot(rng, D, F));
        this.add(`block${l}/ffn/bias1`, [F], zeros());
        this.add(`block${l}/ffn/kernel2`, [F, D], glorot(rng, F, D));
        this.add(`block${l}/ffn/bias2`, [D], zeros());
      }
      this.add("final_ln/gamma", [D], ones());
      this.add("final_ln/beta", [D], zeros());
      this.add("output/kernel", [D, V], glorot(rng, D, V));
      this.add("output/bias", [V], zeros());
    }
  }

  /** A freshly initialised model; the same (config, vocabulary, seed) gives the same weights. */
  static create(config: ModelConfig, tokenizer: CharTokenizer, seed: number): LanguageModel {
    return new LanguageModel(config, tokenizer, seed);
  }

  static deserialize(serialized: SerializedLanguageModel): LanguageModel {
    const model = new LanguageModel(serialized.config, CharTokenizer.fromJSON(serialized.tokenizer), 0);
    model.setWeights(serialized.weights);
    return model;
  }

  serialize(): SerializedLanguageModel {
    return { config: this.config, tokenizer: this.tokenizer.toJSON(), weights: this.getWeights() };
  }

  /** Trainable variables in a fixed order (the optimizer's state follows this order). */
  get variables(): tf.Variable[] {
    return this.params.map((p) => p.variable);
  }

  get parameterNames(): string[] {
    return this.params.map((p) => p.name);
  }

  get parameterCount(): number {
    return this.params.reduce((n, p) => n + p.variable.size, 0);
  }

  getWeights(): SerializedWeights {
    return this.params.map(({ name, variable }) => ({
      name,
      shape: [...variable.shape],
      values: new Float32Array(variable.dataSync() as Float32Array),
    }));
  }

  setWeights(weights: SerializedWeights): void {
    if (weights.length !== this.params.length) throw new Error(`expected ${this.params.length} weight tensors, got ${weights.length}`);
    for (const w of weights) {
      const v = this.byName.get(w.name);
      if (!v) throw new Error(`unknown weight ${w.name}`);
      if (v.shape.join() !== w.shape.join()) throw new Error(`weight ${w.name}: shape [${w.shape}] does not match [${v.shape}]`);
      tf.tidy(() => v.assign(tf.tensor(w.values, w.shape, "float32")));
    }
  }

  /** Logits [B, T, V] for int32 token ids [B, T]. Call inside tf.tidy or a gradient function. */
  forward(inputIds: tf.Tensor2D): tf.Tensor3D {
    if (this.disposed) throw new Error("model has been disposed");
    return this.config.architecture === "gru" ? this.forwardGru(this.config, inputIds) : this.forwardTransformer(this.config, inputIds);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.params) p.variable.dispose();
    for (const m of this.causalMasks.values()) m.dispose();
    this.causalMasks.clear();
  }

  private add(name: string, shape: number[], init: (size: number) => Float32Array): void {
    const size = shape.reduce((a, b) => a * b, 1);
    const initial = tf.tensor(init(size), shape, "float32");
    const variable = tf.variable(initial, true, `${this.prefix}/${name}`);
    initial.dispose(); // the variable holds its own reference to the data
    this.params.push({ name, variable });
    this.byName.set(name, variable);
  }

  private w<R extends tf.Rank>(name: string): tf.Tensor<R> {
    const v = this.byName.get(name);
    if (!v) throw new Error(`no weight ${name}`);
    return v as unknown as tf.Tensor<R>;
  }

  private forwardGru(config: GruConfig, ids: tf.Tensor2D): tf.Tensor3D {
    const [B, T] = ids.shape;
    const H = config.hiddenSize;
    let inputs = tf.gather(this.w<tf.Rank.R2>("embedding"), ids) as unknown as tf.Tensor3D;
    for (let l = 0; l < config.layers; l++) {
      const inSize = inputs.shape[2];
      // Input projections for all time steps in one matmul; only the recurrence is sequential.
      const xProj = tf.fused
        .matMul({ a: tf.reshape(inputs, [B * T, inSize]), b: this.w(`gru${l}/input_kernel`), bias: this.w(`gru${l}/input_bias`) })
        .reshape([B, T, 3 * H]);
      const steps = tf.unstack(xProj, 1) as tf.Tensor2D[];
      const recurrentKernel = this.w<tf.Rank.R2>(`gru${l}/recurrent_kernel`);
      const recurrentBias = this.w<tf.Rank.R1>(`gru${l}/recurrent_bias`);
      let h: tf.Tensor2D = tf.zeros([B, H]);
      const outputs: tf.Tensor2D[] = [];
      for (const x of steps) {
        const hProj = tf.fused.matMul({ a: h, b: recurrentKernel, bias: recurrentBias });
        const [xrz, xn] = tf.split(x, [2 * H, H], 1) as [tf.Tensor2D, tf.Tensor2D];
        const [hrz, hn] = tf.split(hProj, [2 * H, H], 1) as [tf.Tensor2D, tf.Tensor2D];
        const [r, z] = tf.split(tf.sigmoid(tf.add(xrz, hrz)), 2, 1) as [tf.Tensor2D, tf.Tensor2D];
        const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
        h = tf.add(n, tf.mul(z, tf.sub(h, n)));
        outputs.push(h);
      }
      inputs = tf.stack(outputs, 1) as tf.Tensor3D;
    }
    return this.project(inputs);
  }

  private forwardTransformer(config: TransformerConfig, ids: tf.Tensor2D): tf.Tensor3D {
    const [B, T] = ids.shape;
    if (T > config.maxPositions) throw new Error(`sequence of ${T} tokens exceeds maxPositions ${config.maxPositions}`);
    const D = config.modelSize;
    const heads = config.heads;
    const headSize = D / heads;
    const positions = tf.slice(this.w<tf.Rank.R2>("position_embedding"), [0, 0], [T, D]);
    let x: tf.Tensor2D = tf.reshape(tf.add(tf.gather(this.w<tf.Rank.R2>("token_embedding"), ids), positions), [B * T, D]);
    const mask = this.causalMask(T);
    const toHeads = (t: tf.Tensor2D): tf.Tensor4D => tf.transpose(tf.reshape(t, [B, T, heads, headSize]), [0, 2, 1, 3]);
    for (let l = 0; l < config.layers; l++) {
      const p = `block${l}`;
      const a = layerNorm(x, this.w(`${p}/ln1/gamma`), this.w(`${p}/ln1/beta`));
      const qkv = tf.fused.matMul({ a, b: this.w(`${p}/attention/qkv_kernel`), bias: this.w(`${p}/attention/qkv_bias`) });
      const [q, k, v] = tf.split(qkv, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const scores = tf.add(tf.mul(tf.matMul(toHeads(q), toHeads(k), false, true), 1 / Math.sqrt(headSize)), mask);
      const attended = tf.matMul(tf.softmax(scores), toHeads(v));
      const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [B * T, D]);
      x = tf.add(x, tf.fused.matMul({ a: merged, b: this.w(`${p}/attention/out_kernel`), bias: this.w(`${p}/attention/out_bias`) }));
      const f = layerNorm(x, this.w(`${p}/ln2/gamma`), this.w(`${p}/ln2/beta`));
      // relu applied separately: tf.fused.matMul does not fuse activations while recording
      // gradients, and fused vs unfused bias addition round differently, so fusing it would make
      // training-pass and evaluation-pass metrics differ in the last bit.
      const hidden = tf.relu(tf.fused.matMul({ a: f, b: this.w(`${p}/ffn/kernel1`), bias: this.w(`${p}/ffn/bias1`) }));
      x = tf.add(x, tf.fused.matMul({ a: hidden, b: this.w(`${p}/ffn/kernel2`), bias: this.w(`${p}/ffn/bias2`) }));
    }
    const out = layerNorm(x, this.w("final_ln/gamma"), this.w("final_ln/beta"));
    return this.project(tf.reshape(out, [B, T, D]));
  }

  private project(hidden: tf.Tensor3D): tf.Tensor3D {
    const [B, T, H] = hidden.shape;
    const V = this.tokenizer.vocabSize;
    return tf.fused.matMul({ a: tf.reshape(hidden, [B * T, H]), b: this.w("output/kernel"), bias: this.w("output/bias") }).reshape([B, T, V]);
  }

  private causalMask(T: number): tf.Tensor2D {
    let mask = this.causalMasks.get(T);
    if (!mask) {
      const values = new Float32Array(T * T);
      for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) values[i * T + j] = -1e9;
      // Kept outside any enclosing tidy: masks are reused across batches until dispose().
      mask = tf.keep(tf.tensor2d(values, [T, T]));
      this.causalMasks.set(T, mask);
    }
    return mask;
  }
}

function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), gamma), beta);
}

function validateConfig(config: ModelConfig): void {
  const positive = (name: string, v: number): void => {
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`model config: ${name} must be a positive integer, got ${v}`);
  };
  positive("layers", config.layers);
  if (config.architecture === "gru") {
    positive("embeddingSize", config.embeddingSize);
    positive("hiddenSize", config.hiddenSize);
  } else {
    positive("modelSize", config.modelSize);
    positive("heads", config.heads);
    positive("feedForwardSize", config.feedForwardSize);
    positive("maxPositions", config.maxPositions);
    if (config.modelSize % config.heads !== 0) throw new RangeError("model config: modelSize must be divisible by heads");
  }
}

const zeros = () => (size: number) => new Float32Array(size);
const ones = () => (size: number) => new Float32Array(size).fill(1);

function uniform(rng: Rng, limit: number) {
  return (size: number) => {
    const a = new Float32Array(size);
    for (let i = 0; i < size; i++) a[i] = (2 * rng.nextFloat() - 1) * limit;
    return a;
  };
}

function glorot(rng: Rng, fanIn: number, fanOut: number) {
  return uniform(rng, Math.sqrt(6 / (fanIn + fanOut)));
}

function normal(rng: Rng, std: number) {
  return (size: number) => {
    const a = new Float32Array(size);
    for (let i = 0; i < size; i++) a[i] = rng.nextNormal() * std;
    return a;
  };
}
